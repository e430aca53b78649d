import type { z } from 'zod';
import { describeIssues } from '@platform/contracts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeText(data: Uint8Array): string {
  return decoder.decode(data);
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Reads a message body as JSON and checks it against a schema, saying what is wrong when it does not fit. */
export function decodeMessage<S extends z.ZodType>(schema: S, data: Uint8Array, what: string): Decoded<z.infer<S>> {
  let body: unknown;
  try {
    body = JSON.parse(decodeText(data));
  } catch {
    return { ok: false, reason: `${what} is not JSON` };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    return { ok: false, reason: `${what} is not valid: ${formatIssues(parsed.error)}` };
  }
  return { ok: true, value: parsed.data };
}

export function formatIssues(error: z.ZodError): string {
  return describeIssues(error)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
}
