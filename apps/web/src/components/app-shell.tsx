'use client';

import type { Route } from 'next';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { LiveIndicator } from './live-indicator';
import { useSession } from './session-context';
import { UserMenu } from './user-menu';
import { WorkspaceSwitcher } from './workspace-switcher';

interface NavItem {
  readonly href: Route;
  readonly label: string;
  /** The section the link stands for, when it links to a page inside it. */
  readonly section?: string;
  /** Shown as "soon" while the API behind the page is still being built. */
  readonly soon?: boolean;
}

const navigation: { section?: string; items: NavItem[] }[] = [
  { items: [{ href: '/', label: 'Overview' }] },
  {
    section: 'Deploy',
    items: [
      { href: '/deploy', label: 'Deploy' },
      { href: '/deployments', label: 'Deployments' },
      { href: '/deploy-configs', label: 'Deploy configs' },
    ],
  },
  {
    section: 'Build',
    items: [
      { href: '/projects', label: 'Projects & services' },
      { href: '/infrastructure', label: 'Infrastructure' },
    ],
  },
  {
    section: 'Workspace',
    items: [
      { href: '/activity', label: 'Activity' },
      { href: '/settings/members', label: 'Settings', section: '/settings' },
    ],
  },
];

function isCurrent(pathname: string, href: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

/** The console's frame: the sidebar (a drawer on narrow screens) and the page. */
export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const { me } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);

  // The drawer closes when a link in it was followed.
  useEffect(() => setMenuOpen(false), [pathname]);

  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && setMenuOpen(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  return (
    <div className="shell">
      <a href="#content" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="button ghost small"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((open) => !open)}
        >
          ☰ <span className="visually-hidden">Menu</span>
        </button>
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          {me.workspace.name}
        </Link>
        <LiveIndicator />
      </header>
      {menuOpen && <div className="scrim" aria-hidden="true" onClick={() => setMenuOpen(false)} />}
      <aside id="sidebar" className="sidebar" data-open={menuOpen} aria-label="Console">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Platform
        </Link>
        <WorkspaceSwitcher />
        <nav className="nav" aria-label="Main">
          {navigation.map((group, index) => (
            <div key={group.section ?? index} className="nav">
              {group.section && <div className="nav-section">{group.section}</div>}
              {group.items.map((item) => (
                <Link
                  key={item.href}
                  href={item.href}
                  aria-current={isCurrent(pathname, item.section ?? item.href) ? 'page' : undefined}
                >
                  {item.label}
                  {item.soon && <span className="soon">soon</span>}
                </Link>
              ))}
            </div>
          ))}
        </nav>
        <div className="sidebar-footer">
          <LiveIndicator />
          <UserMenu />
        </div>
      </aside>
      <main className="content" id="content">
        {children}
      </main>
    </div>
  );
}
