import { AppliedCommands, type Bus } from '@platform/bus';
import { CreateProject, DomainError } from '@platform/contracts';
import type { Access } from '@platform/identity';
import type { FastifyRequest } from 'fastify';
import { CommandGateway } from './commands';

/** A bus whose service answers each command with `outcome`, the moment it is stored. */
function busAnswering(outcome: (commandId: string) => void): Bus {
  return {
    sendCommand: (_definition: unknown, _data: unknown, _metadata: unknown, options: { commandId: string }) => {
      setImmediate(() => outcome(options.commandId));
      return Promise.resolve({ duplicate: false });
    },
  } as unknown as Bus;
}

function request(headers: Record<string, string> = {}): FastifyRequest {
  const principal = { userId: 'u1', email: 'u1@example.com', credential: { kind: 'session', id: 's1' } };
  const access = { principal, workspaceId: 'w1' } as unknown as Access;
  return {
    headers,
    ip: '127.0.0.1',
    platform: { requestId: 'r1', access, operationId: 'createProject' },
  } as unknown as FastifyRequest;
}

describe('CommandGateway.send', () => {
  const project = { projectId: '7b0b5a3e-0d55-4d8e-9a57-0f5c2a1d9e11', name: 'shop' };

  it('answers a command its service refused with that refusal: its code, message and details', async () => {
    const applied = new AppliedCommands();
    const gateway = new CommandGateway(
      busAnswering((commandId) =>
        applied.outcome({
          ok: false,
          commandId,
          error: { code: 'conflict', message: 'a project named shop exists', details: [{ path: 'body.name' }] },
        }),
      ),
      applied,
      5000,
    );
    const refusal = await gateway.send(request(), CreateProject, project).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).toBody()).toEqual({
      code: 'conflict',
      message: 'a project named shop exists',
      details: [{ path: 'body.name' }],
    });
  });

  it('says applied once the service applied it, and pending when the caller asked not to wait', async () => {
    const applied = new AppliedCommands();
    const gateway = new CommandGateway(
      busAnswering((commandId) => applied.outcome({ ok: true, commandId, eventIds: [] })),
      applied,
      5000,
    );
    const waited = request();
    await gateway.send(waited, CreateProject, project);
    expect(waited.platform.commandProgress).toBe('applied');
    const asynchronous = request({ prefer: 'respond-async' });
    await gateway.send(asynchronous, CreateProject, project);
    expect(asynchronous.platform.commandProgress).toBe('pending');
  });
});
