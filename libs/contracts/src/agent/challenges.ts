import { z } from 'zod';

/** An ACME HTTP-01 token (base64url, RFC 8555 §8.3): the file name nginx serves the answer under. */
export const ChallengeTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be an ACME token (base64url, 16 to 256 characters)');

/** `PUT /v1/edge/challenges/:token`: the key authorization to answer with (`<token>.<thumbprint>`). */
export const PutChallengeRequestSchema = z.strictObject({
  keyAuthorization: z
    .string()
    .max(600)
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be an ACME key authorization'),
});
export type PutChallengeRequest = z.infer<typeof PutChallengeRequestSchema>;
