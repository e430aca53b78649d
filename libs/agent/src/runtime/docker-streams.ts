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

/** The classic builder's header of each step of a Dockerfile. */
const STEP_HEADER = /^Step \d+\/\d+ : /;
/** The builder's own lines around a step's output. */
const BUILDER_CHATTER = /^ ---> |^Removing intermediate container |^Successfully (built|tagged) /;
/** npm's account of a failed script and its notices (a newer npm exists): they come last and crowd out the error. */
const NPM_EPILOGUE = /^npm (ERR!|error|notice)( |$)/;
/** How the classic builder reports a RUN step that exited non-zero. */
const FAILED_COMMAND = /^The command '(?:\/bin\/sh -c )?([\s\S]*)' returned a non-zero code: (\d+)$/;
/** A step's last lines kept in memory: enough to find its error below npm's epilogue. */
const KEPT_LINES = 50;
const QUOTED_LINES = 5;
const QUOTED_CHARS = 300;

const bounded = (text: string) => (text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text);

/**
 * The output of the build step running now, so a failed build can say which command failed and quote its last
 * lines: the compiler's error is what the user needs, and the builder's own message only gives an exit code.
 */
export class BuildStepOutput {
  private lines: string[] = [];

  add(text: string): void {
    for (const line of text.split('\n')) {
      if (STEP_HEADER.test(line)) this.lines = [];
      else if (line.trim() && !BUILDER_CHATTER.test(line)) this.lines.push(line.trimEnd());
    }
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
  }

  /** e.g. `build failed: npm run build exited 1:` and the step's last meaningful lines, bounded in size. */
  failure(builderError: string): string {
    const failed = FAILED_COMMAND.exec(builderError.trim());
    const what = failed ? `${bounded(failed[1])} exited ${failed[2]}` : bounded(builderError.trim());
    const ownLines = this.lines.filter((line) => !NPM_EPILOGUE.test(line));
    const quoted = (ownLines.length > 0 ? ownLines : this.lines).slice(-QUOTED_LINES).map(bounded);
    return quoted.length > 0 ? `build failed: ${what}:\n${quoted.join('\n')}` : `build failed: ${what}`;
  }
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
