import { createStore, type StoreApi } from 'zustand/vanilla';

export interface Problem {
  readonly key: string;
  readonly message: string;
}

export interface ProblemsState {
  readonly problems: readonly Problem[];
  report(message: string): void;
  dismiss(key: string): void;
}

export type ProblemsStore = StoreApi<ProblemsState>;

let next = 0;

/** Sentences about things that went wrong in the background, shown until dismissed (the same one once). */
export function createProblemsStore(): ProblemsStore {
  return createStore<ProblemsState>((set) => ({
    problems: [],
    report(message) {
      set((state) =>
        state.problems.some((problem) => problem.message === message)
          ? state
          : { problems: [...state.problems, { key: `problem-${++next}`, message }] },
      );
    },
    dismiss(key) {
      set((state) => ({ problems: state.problems.filter((problem) => problem.key !== key) }));
    },
  }));
}
