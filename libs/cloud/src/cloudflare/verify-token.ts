import { DomainError } from '@platform/contracts';
import { z } from 'zod';

export const CLOUDFLARE_API_URL = 'https://api.cloudflare.com/client/v4';

/** `GET /user/tokens/verify`'s answer, as the official document has it (only what is read here). */
const VerifyAnswerSchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number(), message: z.string() })).default([]),
  result: z.object({ id: z.string(), status: z.string(), expires_on: z.string().optional() }).nullable().optional(),
});

/**
 * Checks a Cloudflare API token with `GET /user/tokens/verify`. Resolves to how the token is shown from now on
 * (its id, never its value); rejects with `unauthorized` when Cloudflare refuses it, `unavailable` when it
 * could not be asked.
 */
export async function verifyCloudflareToken(
  token: string,
  options: { baseUrl?: string; timeoutMs?: number } = {},
): Promise<string> {
  const baseUrl = (options.baseUrl ?? CLOUDFLARE_API_URL).replace(/\/$/, '');
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/user/tokens/verify`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new DomainError(
      'unavailable',
      `Cloudflare could not be reached (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = VerifyAnswerSchema.safeParse(await response.json().catch(() => undefined));
  if (response.status >= 500 || !parsed.success) {
    throw new DomainError('unavailable', `Cloudflare answered HTTP ${response.status} without a usable body`);
  }
  const said = parsed.data.errors.map((error) => `${error.message} (${error.code})`).join('; ');
  if (!response.ok || !parsed.data.success || !parsed.data.result) {
    throw new DomainError(
      'unauthorized',
      `Cloudflare refused it${said ? `: ${said}` : ` (HTTP ${response.status})`}; create an API token with Zone DNS edit rights`,
    );
  }
  const { id, status, expires_on: expiresOn } = parsed.data.result;
  if (status !== 'active')
    throw new DomainError('unauthorized', `the token is ${status}, not active; create a new one in Cloudflare`);
  return `API token ${id}${expiresOn ? ` (expires ${expiresOn})` : ''}`;
}
