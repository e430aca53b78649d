'use client';

import { useState, type ReactNode } from 'react';
import { Dialog } from './dialog';
import { useToast } from './toasts';

/**
 * A button that asks before doing something that cannot be undone (delete, revoke, remove, roll back): the one
 * confirmation flow of the console. The action runs from the dialog; while it runs the buttons are disabled, and
 * a failure keeps the dialog open with a toast saying why.
 */
export function ConfirmButton(props: {
  label: string;
  /** Names the button for screen readers when `label` alone is ambiguous in a list ("Delete web"). */
  accessibleLabel?: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  className?: string;
  /** Choices that change what the action does (a "Force" checkbox), shown under the description. */
  children?: ReactNode;
  /** Called as the dialog opens, so such choices start over each time. */
  onOpen?: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);
  const toast = useToast();

  async function confirm() {
    setPending(true);
    try {
      await props.onConfirm();
      setOpen(false);
    } catch (error) {
      toast.error(error);
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <button
        type="button"
        className={props.className ?? 'button small danger'}
        aria-label={props.accessibleLabel}
        onClick={() => {
          props.onOpen?.();
          setOpen(true);
        }}
      >
        {props.label}
      </button>
      <Dialog open={open} title={props.title} onClose={() => !pending && setOpen(false)}>
        <p>{props.description}</p>
        {props.children}
        <div className="form-actions">
          {/* Focus starts on Cancel: Enter right after opening must not destroy anything. */}
          <button type="button" className="button" disabled={pending} autoFocus onClick={() => setOpen(false)}>
            Cancel
          </button>
          <button type="button" className="button danger solid" disabled={pending} onClick={() => void confirm()}>
            {pending ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </Dialog>
    </>
  );
}
