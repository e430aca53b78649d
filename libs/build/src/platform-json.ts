import { z } from 'zod';
import { DomainError } from '@platform/contracts';
import { SAFE_RELATIVE_PATH } from './paths';
import { parseJsonFile, printable, type ProjectFiles } from './project-files';

export const PLATFORM_JSON = 'platform.json';

/** One line of printable text, run by /bin/sh inside the container (never on the platform's own machines). */
const ShellCommand = z
  .string('must be a string')
  .trim()
  .min(1, 'must not be empty')
  .max(1000, 'must be at most 1000 characters')
  .regex(/^\P{Cc}*$/u, 'must be one line without control characters');

/**
 * What a project may say about its own build, in platform.json at its root, as Railway's railway.json and
 * Render's settings let it: every field is optional and replaces what detection would choose.
 */
export const PlatformJsonSchema = z.strictObject({
  /** Run instead of the build script, with development dependencies installed and NODE_ENV=production. */
  build: ShellCommand.optional(),
  /** What the container runs instead of the start script or the detected server. */
  start: ShellCommand.optional(),
  /** Where the build writes a static site, relative to the project (dist, build, out…). */
  outputDir: z
    .string('must be a string')
    .trim()
    .transform((dir) => dir.replace(/^\.\//, '').replace(/\/+$/, ''))
    .pipe(z.string().regex(SAFE_RELATIVE_PATH, 'must be a plain relative path inside the project'))
    .optional(),
  /** The port the app listens on (set as PORT). */
  port: z.int('must be a whole number').min(1, 'must be 1 to 65535').max(65535, 'must be 1 to 65535').optional(),
});

export type PlatformJson = z.infer<typeof PlatformJsonSchema>;

/** The project's platform.json, validated; `{}` when it has none. Refuses, naming the field, when it is wrong. */
export async function readPlatformJson(project: ProjectFiles): Promise<PlatformJson> {
  const text = await project.read(PLATFORM_JSON);
  if (text === undefined) return {};
  const value = parseJsonFile(text, PLATFORM_JSON);
  const parsed = PlatformJsonSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `platform.json: "${printable(field)}" is not a field of platform.json (it takes build, start, outputDir and port)`
      : field
        ? `platform.json: "${printable(field)}" ${issue.message}`
        : 'platform.json must be a JSON object';
  throw new DomainError('validation_failed', message, [
    { file: PLATFORM_JSON, field: printable(field), reason: issue.code },
  ]);
}
