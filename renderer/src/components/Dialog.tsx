import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface DialogProps {
  readonly title: string;
  /** Escape, and whatever Cancel/Close button the content has. */
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** `alertdialog` for a question that needs an answer (confirming a cancel). */
  readonly role?: 'dialog' | 'alertdialog';
  readonly className?: string;
  readonly description?: ReactNode;
}

/**
 * A modal dialog on the platform's <dialog>: showModal() makes the rest of the page inert and puts the
 * dialog in the top layer; Tab is kept inside it; Escape closes it; focus goes back where it was.
 */
export function Dialog({ title, onClose, children, role = 'dialog', className, description }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    return () => {
      dialog.close();
      previous?.focus();
    };
  }, []);

  const keepFocusInside = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = Array.from(ref.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    const first = focusable[0];
    const last = focusable.at(-1);
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      className={['dialog', className].filter(Boolean).join(' ')}
      onCancel={(event) => {
        // Escape: close through the owner, so its state and the dialog never disagree.
        event.preventDefault();
        onCloseRef.current();
      }}
      onKeyDown={keepFocusInside}
    >
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      {description && (
        <div id={descriptionId} className="dialog-description">
          {description}
        </div>
      )}
      {children}
    </dialog>
  );
}
