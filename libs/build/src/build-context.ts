import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { extractArchive, packDirectory, type ArchiveLimits } from '@platform/archive';
import { ArchiveContentTypes } from '@platform/contracts';
import { generateDockerfile, writeBuildFiles, type BuildRecipe, type DockerfileOptions } from './dockerfile';
import { fetchGitSource, type GitSourceLimits, type GitSourceOptions } from './git-source';
import type { DetectedStack } from './stack-detection';

/** Where a build's code comes from: an uploaded archive on disk (tar.gz, tar or zip), or a git repository at a ref. */
export type BuildContextSource =
  | { readonly type: 'archive'; readonly path: string }
  | { readonly type: 'git'; readonly url: string; readonly ref: string };

export interface BuildContextOptions extends DockerfileOptions {
  /** Parent of the temporary directory the context is made in; the system's temporary directory by default. */
  readonly tempRoot?: string;
  readonly archiveLimits?: Partial<ArchiveLimits>;
  readonly gitLimits?: Partial<GitSourceLimits>;
  readonly git?: GitSourceOptions;
}

/** A build context ready for the image build: a tar.gz that always holds a Dockerfile. */
export interface BuildContext {
  /** The tar.gz, in a temporary directory of its own. */
  readonly path: string;
  readonly contentType: typeof ArchiveContentTypes.tarGzip;
  /** The Dockerfile's path inside the archive: `Dockerfile` (the project's own) or the generated one. */
  readonly dockerfile: string;
  readonly stack: DetectedStack;
  /** For the build log: what was fetched, which stack was detected, and how it is built. */
  readonly notes: readonly string[];
  /** Removes the temporary directory, archive included. Safe to call more than once. */
  dispose(): Promise<void>;
}

/** How to change what detection chose, said in every build log with a generated Dockerfile. */
export const OVERRIDE_HINT =
  'to build differently, add a platform.json at the project root with any of "build" (a command), "start" (a command), "outputDir" (where the build writes a static site) and "port", or a Dockerfile of your own';

/** One line saying which stack was detected and how the image is built. */
function summary(recipe: BuildRecipe): string {
  const { stack } = recipe;
  switch (stack.kind) {
    case 'dockerfile':
      return "detected stack: the project's own Dockerfile, used as it is (nothing generated)";
    case 'node': {
      const manager = stack.packageManager === 'yarn-berry' ? 'yarn' : stack.packageManager;
      const start =
        'main' in stack.start
          ? `node ${stack.start.main}`
          : 'platformJson' in stack.start
            ? "platform.json's start"
            : `its start script${stack.start.command ? ` "${stack.start.command.join(' ')}"` : ''}`;
      return `detected stack: Node.js (${manager}, ${stack.lockfile ?? 'no lockfile'}, started with ${start}) — no Dockerfile in the project, so the platform generated ${recipe.dockerfilePath}`;
    }
    case 'python':
      return `detected stack: Python (${stack.dependencies}, ${stack.app} served by ${stack.server}) — no Dockerfile in the project, so the platform generated ${recipe.dockerfilePath}`;
    case 'built-site':
      return `detected stack: a static site built by Node.js (${stack.packageManager === 'yarn-berry' ? 'yarn' : stack.packageManager}, ${stack.lockfile ?? 'no lockfile'}, served from ${stack.outputDir}/) — no Dockerfile in the project, so the platform generated ${recipe.dockerfilePath}`;
    case 'static':
      return `detected stack: a static site (serving ${stack.root === '.' ? 'the project' : `${stack.root}/`}) — no Dockerfile in the project, so the platform generated ${recipe.dockerfilePath}`;
  }
}

/**
 * Turns an upload or a git source into a build context for the image build: the archive is extracted safely
 * (libs/archive: no entry lands outside, limits on size and entries) or the repository is fetched
 * (fetchGitSource: https only, shallow, limits) into a fresh temporary directory; a project without a Dockerfile
 * of its own gets one generated for its detected stack (a user's Dockerfile always wins); the tree is packed
 * into a tar.gz beside it and the tree removed. Refusals (an unsafe archive, a failed fetch, an unrecognised
 * project) are DomainErrors that say what to change; on any failure nothing is left behind.
 */
export async function prepareBuildContext(
  source: BuildContextSource,
  options: BuildContextOptions = {},
): Promise<BuildContext> {
  const root = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'platform-build-'));
  const dispose = () => rm(root, { recursive: true, force: true });
  try {
    const dir = join(root, 'project');
    await mkdir(dir, { mode: 0o700 });
    const notes: string[] = [];
    if (source.type === 'archive') {
      const extracted = await extractArchive({ file: source.path, into: dir, limits: options.archiveLimits });
      notes.push(
        `the upload (${extracted.format}, ${extracted.entries} entries, ${extracted.bytes} bytes) was extracted`,
      );
    } else {
      const fetched = await fetchGitSource({ url: source.url, ref: source.ref }, dir, options.gitLimits, options.git);
      notes.push(
        `fetched ${source.url} at ${source.ref}: commit ${fetched.commit} (${fetched.files} files, ${fetched.bytes} bytes)`,
      );
    }
    const recipe = await generateDockerfile(dir, { baseImage: options.baseImage, port: options.port });
    if (recipe.stack.kind !== 'dockerfile') await writeBuildFiles(dir, recipe);
    // The first note of a project's own Dockerfile is what the summary says already.
    notes.push(
      summary(recipe),
      ...(recipe.stack.kind === 'dockerfile' ? recipe.stack.notes.slice(1) : [...recipe.stack.notes, OVERRIDE_HINT]),
    );

    const path = join(root, 'context.tar.gz');
    await pipeline(
      packDirectory(dir) as unknown as NodeJS.ReadableStream,
      createGzip(),
      createWriteStream(path, { flags: 'wx', mode: 0o600 }),
    );
    // Only the archive is needed from here on; a checkout can be large.
    await rm(dir, { recursive: true, force: true });
    return {
      path,
      contentType: ArchiveContentTypes.tarGzip,
      dockerfile: recipe.dockerfilePath,
      stack: recipe.stack,
      notes,
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
