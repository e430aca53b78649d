/**
 * How a request to the agent is signed. The signature is an HMAC-SHA256, keyed with the server's secret, over
 * the canonical string `AGENT_SIGNATURE_SCHEME \n METHOD \n path-with-query \n sha256(body) hex \n timestamp \n
 * nonce`. The body hash travels in its own header so a streamed body (an archive) can be checked as it arrives.
 */
export const AGENT_SIGNATURE_SCHEME = 'AGENT-HMAC-SHA256-V1';

export const AgentAuthHeaders = {
  timestamp: 'x-agent-timestamp',
  nonce: 'x-agent-nonce',
  contentSha256: 'x-agent-content-sha256',
  signature: 'x-agent-signature',
} as const;

/** A signed request is accepted for this long either side of the agent's clock. */
export const AGENT_SIGNATURE_WINDOW_MS = 30_000;

/** sha256 of the empty body, for requests without one. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
