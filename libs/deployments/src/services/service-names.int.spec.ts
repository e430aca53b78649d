import { randomUUID } from 'node:crypto';
import { runMigrations } from '@platform/event-store';
import { createTestSchema, type TestSchema } from '@platform/testing';
import { servicesProjection } from './projection';
import { ServiceNames } from './service-names';

describe('ServiceNames (real PostgreSQL)', () => {
  let db: TestSchema;
  let names: ServiceNames;

  beforeAll(async () => {
    db = createTestSchema('service_names');
    await runMigrations(db.pool, db.schema, servicesProjection.migrations ?? []);
    names = new ServiceNames(db.pool, db.schema);
  });
  afterAll(() => db.dispose());

  it('gives a name to one workspace of many claiming it at once, and lets that one claim it again', async () => {
    const workspaces = Array.from({ length: 10 }, () => randomUUID());
    const outcomes = await Promise.all(
      workspaces.map((workspace) =>
        names.claim('contested', workspace).then(
          () => 'claimed',
          (error: { code: string }) => error.code,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'name_taken')).toHaveLength(9);
    const holder = workspaces[outcomes.indexOf('claimed')];
    await expect(names.claim('contested', holder)).resolves.toBeUndefined();
    expect(await names.available('contested', holder)).toBe(true);
    expect(await names.available('contested', workspaces.find((w) => w !== holder) ?? '')).toBe(false);
    expect(await names.available('free', workspaces[0])).toBe(true);
  });

  it('refuses another workspace with a message that says what to do', async () => {
    await names.claim('hello', 'first');
    await expect(names.claim('hello', 'second')).rejects.toMatchObject({
      code: 'name_taken',
      message: expect.stringContaining('choose another name'),
    });
  });
});
