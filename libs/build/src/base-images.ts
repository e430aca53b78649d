import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** The image generated Node.js Dockerfiles start FROM; scripts/build-base-images.sh builds it locally. */
export const DEFAULT_NODE_BASE_IMAGE = 'platform/node:20';
export const DEFAULT_DEBIAN_BASE_IMAGE = 'platform/debian:bookworm';
/** The image generated Python Dockerfiles start FROM (Debian's Python with gunicorn and uvicorn), built locally too. */
export const DEFAULT_PYTHON_BASE_IMAGE = 'platform/python:3.11';

/** `PLATFORM_NODE_BASE_IMAGE`, or the locally built default. */
export function nodeBaseImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLATFORM_NODE_BASE_IMAGE?.trim() || DEFAULT_NODE_BASE_IMAGE;
}

/**
 * `PLATFORM_DEBIAN_BASE_IMAGE`, or the locally built default: where sites are built, since build tools bring native
 * addons that need more of the C library than the Node.js image carries.
 */
export function debianBaseImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLATFORM_DEBIAN_BASE_IMAGE?.trim() || DEFAULT_DEBIAN_BASE_IMAGE;
}

/** `PLATFORM_PYTHON_BASE_IMAGE`, or the locally built default. */
export function pythonBaseImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLATFORM_PYTHON_BASE_IMAGE?.trim() || DEFAULT_PYTHON_BASE_IMAGE;
}

const SCRIPT = resolve(__dirname, '../../../scripts/build-base-images.sh');

/**
 * Builds the base images unless they are already built from the same inputs (the script caches and takes a
 * lock, so parallel callers wait for one build). Resolves with the script's progress output.
 */
export function ensureBaseImages(targets: ReadonlyArray<'node' | 'debian' | 'python'> = ['node']): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [SCRIPT, ...targets],
      { timeout: 20 * 60_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`building the base images failed:\n${stdout}${stderr}`));
        else resolvePromise(stdout);
      },
    );
  });
}
