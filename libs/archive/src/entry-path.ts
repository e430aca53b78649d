import { posix } from 'node:path';
import { unsafeEntry } from './limits';

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) < 0x20) return true;
  return false;
}

/**
 * The entry's path relative to the extraction root, or a refusal: absolute paths, `..` anywhere, backslashes
 * (a `..\` on another system), NUL and control characters. `''` means the root itself (e.g. `./`).
 */
export function safeRelativePath(name: string): string {
  if (name.length === 0 || name.length > 4096 || hasControlCharacter(name) || name.includes('\\')) {
    throw unsafeEntry(name, 'invalid_name', 'the name is empty, too long, or holds control characters or backslashes');
  }
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw unsafeEntry(name, 'absolute_path', 'absolute paths are not allowed');
  }
  if (name.split('/').includes('..')) {
    throw unsafeEntry(name, 'path_escapes', '".." is not allowed in entry names');
  }
  const normalized = posix.normalize(name).replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized.replace(/^\.\//, '');
}

/** True when `target`, relative to the link's directory, stays inside the root (lexically). */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (target.length === 0 || target.startsWith('/') || hasControlCharacter(target) || target.includes('\\'))
    return false;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}
