/**
 * Commands are answered once queued (202); the read models catch up moments later. This asks `probe` until
 * it answers true (a not-found answer counts as "not yet"), so the page shown next has the change. False when
 * it took longer than `timeoutMs`.
 */
import { ApiRequestError } from './api';

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return true;
    } catch (error) {
      if (!(error instanceof ApiRequestError && error.code === 'not_found')) throw error;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** `KEY=value` lines into variables; blank lines and `#` comments are skipped. Throws for a line without `=`. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`line ${index + 1} is not NAME=value`);
    env[line.slice(0, equals).trim()] = raw.slice(raw.indexOf('=') + 1);
  }
  return env;
}
