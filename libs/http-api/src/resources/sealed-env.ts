import { envSecretContext, type SealedEnv } from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import { accessOf } from '../request-state';

/** Environment values sealed as soon as they arrive: commands and events only ever carry them sealed. */
export function sealEnv(
  secrets: SecretBox,
  request: FastifyRequest,
  serviceId: string,
  env: Record<string, string>,
): SealedEnv {
  const { workspaceId } = accessOf(request);
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      secrets.seal(value, envSecretContext(workspaceId, serviceId, name)),
    ]),
  );
}
