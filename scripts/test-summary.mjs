// Prints the test run's closing line in the plain form CI reads: "Tests: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const [reportPath] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch {
  console.log('Tests: 0 passed, 1 failed (the test runner produced no report)');
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
const failedSuites = report.testResults.filter(
  (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
).length;
const failed = report.numFailedTests + failedSuites;
console.log(`Tests: ${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || report.numPassedTests === 0 ? 1 : 0);
