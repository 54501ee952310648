import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ErrorMessage } from './error-message.tsx';

interface ConfirmButtonProps<T> {
  /** The button that opens the dialog ("Disable"). */
  label: string;
  /** The button's accessible name when `label` alone is ambiguous in a table ("Disable Ada Admin"). */
  ariaLabel?: string;
  /** The dialog's question ("Disable Ada Admin?"). */
  title: string;
  /** What will happen, in the user's words. */
  children?: ReactNode;
  /** The confirming button ("Disable user"). */
  confirmLabel: string;
  /**
   * The button that backs out, when "Cancel" would be ambiguous ("Keep notification" next to
   * "Cancel notification").
   */
  cancelLabel?: string;
  /** Red buttons for actions that take something away. */
  destructive?: boolean;
  quiet?: boolean;
  disabled?: boolean;
  run: () => Promise<T>;
  /** After success (dialog closed): show the result, refresh data. */
  onSuccess: (result: T) => void;
}

/**
 * A button that asks before it acts: a modal dialog says what will happen, a failure keeps the dialog
 * open with the API's message, a success closes it and hands the result to the page.
 */
export function ConfirmButton<T>({
  label,
  ariaLabel,
  title,
  children,
  confirmLabel,
  cancelLabel,
  destructive = false,
  quiet = false,
  disabled = false,
  run,
  onSuccess,
}: ConfirmButtonProps<T>) {
  const [open, setOpen] = useState(false);
  const mutation = useMutation({ mutationFn: run });
  const buttonClass = destructive ? 'button button--danger' : quiet ? 'button button--quiet' : 'button';
  return (
    <>
      <button
        type="button"
        className={buttonClass}
        aria-label={ariaLabel}
        disabled={disabled}
        onClick={() => {
          mutation.reset();
          setOpen(true);
        }}
      >
        {label}
      </button>
      <Dialog open={open} title={title} onClose={() => !mutation.isPending && setOpen(false)}>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            mutation.mutate(undefined, {
              onSuccess: (result) => {
                setOpen(false);
                onSuccess(result);
              },
            });
          }}
        >
          {children && <div className="dialog__text">{children}</div>}
          {mutation.isError && <ErrorMessage error={mutation.error} title={`${label} failed`} />}
          <DialogActions
            busy={mutation.isPending}
            onCancel={() => setOpen(false)}
            submitLabel={confirmLabel}
            {...(cancelLabel ? { cancelLabel } : {})}
            danger={destructive}
          />
        </form>
      </Dialog>
    </>
  );
}

/** Cancel and submit under a dialog's form: both wait while the submission runs. */
export function DialogActions({
  busy,
  onCancel,
  submitLabel,
  busyLabel = 'Working…',
  cancelLabel = 'Cancel',
  danger = false,
  submitDisabled = false,
}: {
  busy: boolean;
  onCancel: () => void;
  submitLabel: string;
  /** The backing-out button's text. */
  cancelLabel?: string;
  /** The submit button's text while busy, e.g. "Saving…". */
  busyLabel?: string;
  /** A destructive or refusing action: the submit button is red. */
  danger?: boolean;
  /** Submit alone cannot be used yet (a rate limit's wait); Cancel still works. */
  submitDisabled?: boolean;
}) {
  return (
    <div className="dialog__actions">
      <button type="button" className="button button--quiet" onClick={onCancel} disabled={busy}>
        {cancelLabel}
      </button>
      <button
        type="submit"
        className={danger ? 'button button--danger' : 'button'}
        disabled={busy || submitDisabled}
      >
        {busy ? busyLabel : submitLabel}
      </button>
    </div>
  );
}

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}

/** A native modal `<dialog>` (focus trap, Escape, backdrop) named by its heading. */
export function Dialog({ open, title, onClose, children, wide = false }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog--wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div className="dialog__body">
          <h2 id={titleId}>{title}</h2>
          {children}
        </div>
      )}
    </dialog>
  );
}

/** The outcome of the last action on a page, announced to screen readers. */
export function ResultNotice({ message, onDismiss }: { message: ReactNode; onDismiss: () => void }) {
  return (
    <div className="result-notice" role="status" data-testid="result-notice">
      <p>{message}</p>
      <button type="button" className="button button--quiet" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
