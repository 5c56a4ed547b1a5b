import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import { ErrorNotice } from '../../components/ErrorNotice';

/** Background problems, each with its own Dismiss. */
export function Problems() {
  const store = useAppStores().problems;
  const problems = useStore(store, (state) => state.problems);
  const dismiss = useStore(store, (state) => state.dismiss);
  if (problems.length === 0) return null;
  return (
    <div className="problems">
      {problems.map((problem) => (
        <ErrorNotice key={problem.key} message={problem.message} onDismiss={() => dismiss(problem.key)} />
      ))}
    </div>
  );
}
