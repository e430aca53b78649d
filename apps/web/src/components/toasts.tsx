'use client';

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiRequestError } from '../lib/api';
import { sentence } from '../lib/format';

type ToastKind = 'success' | 'error' | 'info';

interface Toast {
  readonly id: number;
  readonly kind: ToastKind;
  readonly message: string;
}

const ToastContext = createContext<((kind: ToastKind, message: string) => void) | null>(null);

/** What to tell a person about a failure: the API's own message when there is one. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.code === 'rate_limited') return `${sentence(error.message)}. Wait a minute, then try again.`;
    return sentence(error.message);
  }
  return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((current) => current.filter((toast) => toast.id !== id)), []);

  const push = useCallback(
    (kind: ToastKind, message: string) => {
      const id = nextId.current++;
      setToasts((current) => [...current.slice(-3), { id, kind, message }]);
      // Errors stay longer: they usually say what to do next.
      setTimeout(() => dismiss(id), kind === 'error' ? 10_000 : 5_000);
    },
    [dismiss],
  );

  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" aria-label="Notifications">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            className="toast"
            data-kind={toast.kind}
            role={toast.kind === 'error' ? 'alert' : 'status'}
          >
            <p>{toast.message}</p>
            <button type="button" className="button ghost small" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
              ✕
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  const push = useContext(ToastContext);
  if (!push) throw new Error('useToast needs a ToastProvider above it');
  return useMemo(
    () => ({
      success: (message: string) => push('success', message),
      info: (message: string) => push('info', message),
      error: (error: unknown) => push('error', messageOf(error)),
    }),
    [push],
  );
}
