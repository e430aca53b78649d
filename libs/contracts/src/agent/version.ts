/**
 * The agent's version, in this one place: the agent reports it, and the platform expects exactly this value,
 * so an agent or a server snapshot built from older sources is flagged as outdated.
 */
export const AGENT_VERSION = '0.3.0';

/** From this version on the agent serves HTTPS only; the platform does not talk to older agents (plain HTTP). */
export const AGENT_TLS_SINCE = '0.2.0';

/** The version the platform expects every agent to report. */
export const EXPECTED_AGENT_VERSION: string = AGENT_VERSION;

export type AgentVersionStatus = 'current' | 'outdated' | 'newer' | 'unknown';

function parseSemver(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** How an agent's reported version compares with the one this platform build expects. */
export function agentVersionStatus(reported: string, expected: string = EXPECTED_AGENT_VERSION): AgentVersionStatus {
  const have = parseSemver(reported);
  const want = parseSemver(expected);
  if (!have || !want) return 'unknown';
  for (let index = 0; index < 3; index++) {
    if (have[index] < want[index]) return 'outdated';
    if (have[index] > want[index]) return 'newer';
  }
  return 'current';
}
