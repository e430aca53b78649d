import { relative, sep } from 'node:path';

/** Whether `path` is `root` or below it (both absolute and already resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep));
}

/** A relative path that is safe to write into a Dockerfile and stays inside the project. */
export const SAFE_RELATIVE_PATH = /^(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_@][A-Za-z0-9_@.\-/]*$/;
