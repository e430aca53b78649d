'use client';

import { useState } from 'react';
import { useToast } from './toasts';

/** Copies `text` to the clipboard; when the browser refuses, it says how to copy by hand. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const toast = useToast();

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      toast.info('The browser did not allow copying: select the text and press Ctrl+C (⌘C on a Mac).');
    }
  }

  return (
    <button type="button" className="button" onClick={() => void copy()}>
      {copied ? 'Copied' : label}
    </button>
  );
}
