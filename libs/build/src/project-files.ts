import { open, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '@platform/contracts';
import { isInside } from './paths';

const MAX_PROJECT_FILE_BYTES = 1024 * 1024;

/** A project's text, printable and short, for notes and messages. */
export function printable(text: string, max = 100): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

/**
 * Reads files of a project directory by relative paths the platform chose, never following a link out of it
 * (a repository or archive may hold one), and refusing files too large for a manifest.
 */
export class ProjectFiles {
  private constructor(private readonly root: string) {}

  static async open(dir: string): Promise<ProjectFiles> {
    return new ProjectFiles(await realpath(dir));
  }

  /** The real path of a regular file inside the project, if there is one at `path`. */
  private async resolve(path: string): Promise<string | undefined> {
    const real = await realpath(join(this.root, path)).catch(() => undefined);
    if (!real || !isInside(this.root, real)) return undefined;
    const info = await stat(real);
    return info.isFile() ? real : undefined;
  }

  async isFile(path: string): Promise<boolean> {
    return (await this.resolve(path)) !== undefined;
  }

  async read(path: string): Promise<string | undefined> {
    const real = await this.resolve(path);
    if (!real) return undefined;
    if ((await stat(real)).size > MAX_PROJECT_FILE_BYTES) {
      throw new DomainError('validation_failed', `${path} is larger than ${MAX_PROJECT_FILE_BYTES} bytes`, [
        { file: path, reason: 'too_large' },
      ]);
    }
    return readFile(real, 'utf8');
  }

  /** The first bytes of a file, for files that may be too large to read whole (lockfiles). */
  async readHead(path: string, bytes: number): Promise<string | undefined> {
    const real = await this.resolve(path);
    if (!real) return undefined;
    const file = await open(real, 'r');
    try {
      const head = Buffer.alloc(bytes);
      const { bytesRead } = await file.read(head, 0, bytes, 0);
      return head.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
  }

  async existing(paths: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (const path of paths) if (await this.isFile(path)) found.push(path);
    return found;
  }
}

/** A project file's JSON, or a `validation_failed` naming the file and what is wrong with it. */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError(
      'validation_failed',
      `${file} is not valid JSON: ${printable(error instanceof Error ? error.message : String(error), 200)}`,
      [{ file, reason: 'invalid_json' }],
    );
  }
}
