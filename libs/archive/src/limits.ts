import { DomainError } from '@platform/contracts';

export interface ArchiveLimits {
  /** Files, directories and links together. */
  readonly maxEntries: number;
  /** Sum of the unpacked file sizes; also caps what a decompressor may produce. */
  readonly maxUnpackedBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 50_000,
  maxUnpackedBytes: 2 * 1024 ** 3,
};

/** Why an entry was refused; programs read it from the error's details. */
export type UnsafeEntryReason =
  | 'absolute_path'
  | 'path_escapes'
  | 'invalid_name'
  | 'through_link'
  | 'link_escapes'
  | 'hardlink_target'
  | 'special_file'
  | 'replaces_directory';

export function unsafeEntry(entry: string, reason: UnsafeEntryReason, why: string): DomainError {
  return new DomainError('validation_failed', `the archive entry "${printable(entry)}" is refused: ${why}`, [
    { entry: printable(entry), reason },
  ]);
}

export function tooLarge(why: string, limit: number): DomainError {
  return new DomainError('payload_too_large', `the archive is too large: ${why}`, [
    { reason: 'limit_exceeded', limit },
  ]);
}

export function corrupt(why: string): DomainError {
  return new DomainError('validation_failed', `the archive is corrupt or not a tar.gz, tar or zip file: ${why}`, [
    { reason: 'corrupt' },
  ]);
}

/** Entry names come from the uploader: keep them printable and short in messages. */
function printable(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}
