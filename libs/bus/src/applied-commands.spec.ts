import { randomUUID } from 'node:crypto';
import { AppliedCommands } from './applied-commands';

describe('AppliedCommands', () => {
  const commandId = randomUUID();
  const eventIds = [randomUUID()];

  it('is applied once the outcome came and every read model it names announced the command, in either order', async () => {
    const commands = new AppliedCommands();
    const wait = commands.expect(commandId);
    const settled = wait.settled(10_000);
    commands.applied({ readModel: 'services', commandIds: [commandId] });
    commands.outcome({ ok: true, commandId, eventIds, readModels: ['services', 'deployConfigs'] });
    let progress: string | undefined;
    void settled.then((value) => (progress = value.progress));
    await Promise.resolve();
    expect(progress).toBeUndefined();

    commands.applied({ readModel: 'deployConfigs', commandIds: [randomUUID(), commandId] });
    await expect(settled).resolves.toEqual({ progress: 'applied' });
    expect(commands.size).toBe(0);
  });

  it('keeps notices that came before the caller started waiting', async () => {
    const commands = new AppliedCommands();
    const wait = commands.expect(commandId);
    commands.outcome({ ok: true, commandId, eventIds, readModels: ['services'] });
    commands.applied({ readModel: 'services', commandIds: [commandId] });
    await expect(wait.settled(10_000)).resolves.toEqual({ progress: 'applied' });
  });

  it('is applied at its outcome when no read model applies its events, and refused when its handler refused it', async () => {
    const commands = new AppliedCommands();
    const noOp = commands.expect(commandId);
    const refusedId = randomUUID();
    const refused = commands.expect(refusedId);
    commands.outcome({ ok: true, commandId, eventIds: [] });
    commands.outcome({ ok: false, commandId: refusedId, error: { code: 'conflict', message: 'taken' } });
    await expect(noOp.settled(10_000)).resolves.toEqual({ progress: 'applied' });
    await expect(refused.settled(10_000)).resolves.toEqual({
      progress: 'refused',
      error: { code: 'conflict', message: 'taken' },
    });
  });

  it('ends a wait that no notice settles as pending after its time, and forgets it', async () => {
    jest.useFakeTimers();
    try {
      const commands = new AppliedCommands();
      const settled = commands.expect(commandId).settled(2000);
      commands.outcome({ ok: true, commandId, eventIds, readModels: ['services'] });
      jest.advanceTimersByTime(2000);
      await expect(settled).resolves.toEqual({ progress: 'pending' });
      expect(commands.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('settles each of two callers waiting for the same command', async () => {
    const commands = new AppliedCommands();
    const first = commands.expect(commandId);
    const second = commands.expect(commandId);
    second.cancel();
    await expect(second.settled(10_000)).resolves.toEqual({ progress: 'pending' });
    commands.outcome({ ok: true, commandId, eventIds: [] });
    await expect(first.settled(10_000)).resolves.toEqual({ progress: 'applied' });
    expect(commands.size).toBe(0);
  });
});
