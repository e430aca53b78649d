import { createHash } from 'node:crypto';

/** A UUID (version 8, RFC 9562) derived from a name: the same name always gives the same id. */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8: custom, name-derived
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the n-th event a command produces, the same every time the command is handled: a redelivered
 * command appends events whose ids exist already, so the append is a no-op instead of a duplicate.
 */
export function eventIdFor(commandId: string, index: number): string {
  return nameBasedUuid(`${commandId}:${index}`);
}
