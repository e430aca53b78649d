import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extractArchive, type ArchiveLimits } from '@platform/archive';
import { DomainError, type BuildImageQuery, type ImageResult } from '@platform/contracts';
import type { DockerRuntime } from './runtime/docker-runtime';

/** An upload received, checked against its signed hash and safely extracted; ready to build. */
export interface PreparedBuild {
  run(onLog: (line: string) => void): Promise<ImageResult>;
  dispose(): Promise<void>;
}

/** Hashes what passes through and refuses more than `maxBytes`. */
function hashingLimit(maxBytes: number, hash: ReturnType<typeof createHash>): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        done(
          new DomainError('payload_too_large', `the upload is larger than ${maxBytes} bytes`, [
            { reason: 'limit_exceeded', limit: maxBytes },
          ]),
        );
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/**
 * Receives a source archive into a scratch directory: the body is written to disk while hashed, its hash must
 * be the one the request signed (so the archive is exactly what the platform sent), then it is extracted
 * with every safety check before anything is built.
 */
export async function prepareBuild(options: {
  body: NodeJS.ReadableStream;
  signedSha256: string;
  query: BuildImageQuery & { readonly dockerfile: string };
  workRoot: string;
  maxUploadBytes: number;
  limits: ArchiveLimits;
  runtime: DockerRuntime;
}): Promise<PreparedBuild> {
  await mkdir(options.workRoot, { recursive: true });
  const dir = await mkdtemp(join(options.workRoot, 'build-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const upload = join(dir, 'upload');
    const hash = createHash('sha256');
    await pipeline(
      options.body,
      hashingLimit(options.maxUploadBytes, hash),
      createWriteStream(upload, { mode: 0o600 }),
    );
    if (hash.digest('hex') !== options.signedSha256) {
      throw new DomainError(
        'unauthorized',
        'the uploaded archive is not the one the request signed (body hash differs)',
      );
    }
    const context = join(dir, 'context');
    await extractArchive({ file: upload, into: context, limits: options.limits });
    const dockerfile = await lstat(join(context, options.query.dockerfile)).catch(() => undefined);
    if (!dockerfile?.isFile()) {
      throw new DomainError('validation_failed', `the archive has no ${options.query.dockerfile} at its top level`, [
        { reason: 'no_dockerfile' },
      ]);
    }
    await rm(upload);
    return {
      run: (onLog) =>
        options.runtime.build(
          context,
          {
            image: `${options.query.repository}:${options.query.tag}`,
            service: options.query.service,
            workspace: options.query.workspace,
            dockerfile: options.query.dockerfile,
          },
          onLog,
        ),
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
