import { ErrorNotice } from '../../components/ErrorNotice';
import { useSending } from './use-sending';

/** Sends that could not start (a refused path, a dropped folder), each until dismissed. */
export function SendProblems() {
  const problems = useSending((state) => state.problems);
  const dismissProblem = useSending((state) => state.dismissProblem);
  if (problems.length === 0) return null;
  return (
    <div className="send-problems">
      {problems.map((problem) => (
        <ErrorNotice key={problem.key} message={problem.message} onDismiss={() => dismissProblem(problem.key)} />
      ))}
    </div>
  );
}
