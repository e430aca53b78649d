/** Keys whose values are credentials more often than not: their values never leave the request. */
const SECRET_KEY = /pass|secret|token|key|auth|sig|session|cookie|credential|jwt|bearer|otp|code|invite/i;
export const REDACTED = '[redacted]';
const MAX_VALUES = 50;
const MAX_KEY_LENGTH = 100;
const MAX_VALUE_LENGTH = 200;

/**
 * A request's query parameters as a record to keep: values of secret-looking keys redacted, and bounded (50 values,
 * 100 characters a key, 200 a value) so a hostile URL cannot make a record large.
 */
export function queryOf(url: string): Record<string, string | string[]> {
  const start = url.indexOf('?');
  if (start === -1) return {};
  // No prototype: a key named __proto__ is a key like any other.
  const query = Object.create(null) as Record<string, string | string[]>;
  let values = 0;
  for (const [fullKey, raw] of new URLSearchParams(url.slice(start + 1))) {
    if (++values > MAX_VALUES) break;
    const key = fullKey.slice(0, MAX_KEY_LENGTH);
    const value = SECRET_KEY.test(key) ? REDACTED : raw.slice(0, MAX_VALUE_LENGTH);
    const earlier = query[key];
    if (earlier === undefined) {
      query[key] = value;
    } else if (Array.isArray(earlier)) {
      earlier.push(value);
    } else {
      query[key] = [earlier, value];
    }
  }
  return query;
}
