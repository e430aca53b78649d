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

/** Counts entries and unpacked bytes against the limits, refusing the first entry or byte over them. */
export class EntryBudget {
  entries = 0;
  bytes = 0;

  constructor(private readonly limits: ArchiveLimits) {}

  /** Counts one entry and refuses one too many; `declaredBytes` is refused early when it cannot fit. */
  admit(name: string, declaredBytes: number): void {
    this.entries++;
    if (this.entries > this.limits.maxEntries)
      throw tooLarge(`more than ${this.limits.maxEntries} entries`, this.limits.maxEntries);
    if (this.bytes + declaredBytes > this.limits.maxUnpackedBytes) {
      throw tooLarge(
        `unpacking "${printable(name)}" would exceed ${this.limits.maxUnpackedBytes} bytes`,
        this.limits.maxUnpackedBytes,
      );
    }
  }

  /** Counts bytes actually unpacked (a header may lie about its size). */
  unpacked(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.limits.maxUnpackedBytes) {
      throw tooLarge(`more than ${this.limits.maxUnpackedBytes} bytes once unpacked`, this.limits.maxUnpackedBytes);
    }
  }
}

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
