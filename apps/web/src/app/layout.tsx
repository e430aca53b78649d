import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { ToastProvider } from '../components/toasts';
import './globals.css';

export const metadata: Metadata = {
  title: { template: '%s · Platform', default: 'Platform' },
  description: 'Servers, deployments and rollbacks of your self-hosted platform.',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <ToastProvider>{children}</ToastProvider>
      </body>
    </html>
  );
}
