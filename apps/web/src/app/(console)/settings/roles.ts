import type { Role } from '@platform/contracts';

/** Every role, most powerful first, with what it may do (the scopes of `scopesOfRole`, in words). */
export const roles: readonly { role: Role; description: string }[] = [
  { role: 'owner', description: 'Everything, including managing owners and admins' },
  { role: 'admin', description: 'Everything, including members (but not owners and admins) and all API tokens' },
  { role: 'member', description: 'Deploy and manage infrastructure' },
  { role: 'viewer', description: 'Read only' },
];
