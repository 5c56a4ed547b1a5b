interface FormEndProps {
  /** What went wrong with the last submit, in words (announced when it appears). */
  readonly problem: string | null;
  readonly onCancel: () => void;
  readonly submitLabel: string;
  /** The submit's label while it runs ("Creating…"), and whether it runs. */
  readonly busyLabel: string;
  readonly busy: boolean;
  /** Why the submit cannot run yet, as its label ("Connecting…"); undefined when it can. */
  readonly notYet?: string;
}

/** The end of a dialog's form: its problem, if any, then Cancel and the submit button. */
export function FormEnd({ problem, onCancel, submitLabel, busyLabel, busy, notYet }: FormEndProps) {
  return (
    <>
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy || notYet !== undefined}>
          {busy ? busyLabel : (notYet ?? submitLabel)}
        </button>
      </div>
    </>
  );
}
