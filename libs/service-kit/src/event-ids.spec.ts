import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { eventIdFor } from './event-ids';

describe('event ids derived from a command', () => {
  it('are the same for the same command and position, and valid UUIDs', () => {
    const commandId = randomUUID();
    expect(eventIdFor(commandId, 0)).toBe(eventIdFor(commandId, 0));
    expect(z.uuid().safeParse(eventIdFor(commandId, 0)).success).toBe(true);
  });

  it('differ between positions and between commands', () => {
    const commandId = randomUUID();
    const ids = new Set([eventIdFor(commandId, 0), eventIdFor(commandId, 1), eventIdFor(randomUUID(), 0)]);
    expect(ids.size).toBe(3);
  });
});
