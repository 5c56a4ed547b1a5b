interface ErrorNoticeProps {
  readonly message: string;
  readonly onDismiss?: () => void;
  /** What the Dismiss button's name says it dismisses, for screen readers. */
  readonly dismissLabel?: string;
}

/** A failure in words, announced when it appears, with a way to put it away. */
export function ErrorNotice({ message, onDismiss, dismissLabel = 'Dismiss this message' }: ErrorNoticeProps) {
  return (
    <div className="notice notice-error" role="alert">
      <p>{message}</p>
      {onDismiss && (
        <button type="button" className="quiet" onClick={onDismiss} aria-label={dismissLabel}>
          Dismiss
        </button>
      )}
    </div>
  );
}
