import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
/** Where typing goes: a dialog with a form starts there, not on a read-only value or a button. */
const EDITABLE =
  'input:not([disabled]):not([readonly]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]):not([readonly])';

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
 * Focus starts on the element marked `data-autofocus` (the safe answer to a question), else on the
 * first field that can be typed in, else on the title, so the dialog is read from its start.
 */
export function Dialog({ title, onClose, children, role = 'dialog', className, description }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const first =
      dialog.querySelector<HTMLElement>('[data-autofocus]') ??
      dialog.querySelector<HTMLElement>(EDITABLE) ??
      titleRef.current;
    first?.focus();
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
      <h2 id={titleId} ref={titleRef} className="dialog-title" tabIndex={-1}>
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
