'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const tabs = [
  { href: '/settings/members', label: 'Members' },
  { href: '/settings/tokens', label: 'API tokens' },
  { href: '/settings/providers', label: 'Cloud providers' },
  { href: '/settings/audit', label: 'Audit log' },
  { href: '/settings/webhooks', label: 'Webhooks' },
] as const;

export function SettingsTabs() {
  const pathname = usePathname();
  return (
    <nav className="tabs" aria-label="Settings">
      {tabs.map((tab) => (
        <Link key={tab.href} href={tab.href} aria-current={pathname === tab.href ? 'page' : undefined}>
          {tab.label}
        </Link>
      ))}
    </nav>
  );
}
