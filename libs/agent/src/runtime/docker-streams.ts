import { Transform, type TransformCallback } from 'node:stream';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

/** One JSON message of the Docker engine's progress streams (build, pull). */
export interface DockerProgressMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly aux?: { readonly ID?: string };
}

/**
 * Reads a build or pull progress stream to its end, handing each message to `onMessage`; an error message in
 * the stream (a failing RUN step, an unknown image) rejects with its text.
 */
export async function followProgress(
  stream: NodeJS.ReadableStream,
  onMessage: (message: DockerProgressMessage) => void,
): Promise<DockerProgressMessage[]> {
  const messages: DockerProgressMessage[] = [];
  const input = stream instanceof Readable ? stream : Readable.from(stream);
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let message: DockerProgressMessage;
    try {
      message = JSON.parse(line) as DockerProgressMessage;
    } catch {
      message = { stream: line };
    }
    if (message.error) throw new DockerStreamError(message.error);
    messages.push(message);
    onMessage(message);
  }
  return messages;
}

export class DockerStreamError extends Error {
  constructor(message: string) {
    super(message.trim());
    this.name = 'DockerStreamError';
  }
}

/**
 * Undoes the engine's multiplexing of a non-TTY container's stdout and stderr (8-byte frame headers), giving the
 * output as one text stream in the order it was written.
 */
export function demultiplexLogs(): Transform {
  let pending = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        this.push(pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
      done();
    },
  });
}

/**
 * What the classic builder reports when a cached layer it was building on was deleted meanwhile: removing an image
 * also removes its untagged parents, which may be the cache another build of the same server is standing on.
 */
const VANISHED_LAYER = /unknown parent image ID|No such image: sha256:/;

/** How many times a build runs when a cached layer vanishes under it (the next attempt builds that layer afresh). */
const BUILD_ATTEMPTS = 3;

/**
 * Runs `build` again when the engine lost a cached layer under it, saying so in the build's log; any other failure,
 * or the same one `BUILD_ATTEMPTS` times, is the build's failure.
 */
export async function buildAgainIfLayerVanished<T>(build: () => Promise<T>, onLog: (line: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await build();
    } catch (error) {
      if (!(error instanceof DockerStreamError) || !VANISHED_LAYER.test(error.message) || attempt >= BUILD_ATTEMPTS)
        throw error;
      onLog(
        `a cached layer was removed during the build (an old image was cleaned up on this server); building again (attempt ${attempt + 1} of ${BUILD_ATTEMPTS})`,
      );
    }
  }
}
