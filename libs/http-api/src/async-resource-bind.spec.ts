import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { dropDeprecatedAsyncResourceAccessor } from './async-resource-bind';

describe('AsyncResource.bind without the deprecated accessor', () => {
  beforeAll(() => dropDeprecatedAsyncResourceAccessor());

  it('binds without defining an asyncResource property on the function', () => {
    const bound = new AsyncResource('test').bind(() => 1);
    expect(Object.getOwnPropertyNames(bound)).not.toContain('asyncResource');
  });

  it('still runs the function in the async context where it was bound, with its arguments and receiver', async () => {
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('bound here', () =>
      new AsyncResource('test').bind(function (this: unknown, a: number, b: number) {
        return { store: storage.getStore(), self: this, sum: a + b };
      }),
    );
    const receiver = { name: 'receiver' };
    const result = await storage.run(
      'called here',
      () => new Promise((resolve) => setImmediate(() => resolve(bound.call(receiver, 2, 3)))),
    );
    expect(result).toEqual({ store: 'bound here', self: receiver, sum: 5 });
  });

  it('binds an explicit receiver when one is given', () => {
    const receiver = { value: 7 };
    // Node's own signature takes the receiver second; its published types leave it out.
    const resource = new AsyncResource('test') as unknown as {
      bind(fn: (this: { value: number }) => number, thisArg: unknown): () => number;
    };
    const bound = resource.bind(function (this: { value: number }) {
      return this.value;
    }, receiver);
    expect(bound()).toBe(7);
  });

  it('refuses what is not a function, as Node does', () => {
    // By message: the replacement is process-wide, and may come from another test file's module realm.
    expect(() => new AsyncResource('test').bind(42 as never)).toThrow('The "fn" argument must be of type function');
  });
});
