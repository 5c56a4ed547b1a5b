// Prints the test run's closing line in the plain form CI reads: "Tests: N passed, N failed, N skipped",
// summed over the reports given (the main run's, and the stack suites' run against the scaled stack).
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const reportPath of process.argv.slice(2)) {
  let report;
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8'));
  } catch {
    // A run that produced no report failed as a whole.
    failed += 1;
    continue;
  }
  skipped += report.numPendingTests + report.numTodoTests;
  const failedSuites = report.testResults.filter(
    (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
  ).length;
  passed += report.numPassedTests;
  failed += report.numFailedTests + failedSuites;
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
