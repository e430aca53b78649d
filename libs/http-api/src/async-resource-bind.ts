import { AsyncResource } from 'node:async_hooks';

/**
 * Node 20's `AsyncResource.prototype.bind` gives every bound function the deprecated `asyncResource` accessor
 * (DEP0172), with getter and setter closures of its own. Accessors live in the function's hidden class, which
 * V8 keeps in the old generation: that class then holds the bound function's closure, and through it the
 * whole request, past every young-generation collection. Fastify binds one function per request with a body
 * (its content-type parser), so on Node 20 every POST was promoted to the old generation: scavenges of
 * 10-13 ms instead of under 1 ms, and the p99 of accepted commands with them.
 *
 * This replaces `bind` with the same binding without the deprecated accessor, where the runtime has it.
 * Nothing in this repository or its dependencies reads `asyncResource` from a bound function.
 */
export function dropDeprecatedAsyncResourceAccessor(): void {
  const probe = new AsyncResource('probe').bind(() => undefined);
  if (!Object.prototype.hasOwnProperty.call(probe, 'asyncResource')) return;
  type Callable = (this: unknown, ...args: unknown[]) => unknown;
  function bind(this: AsyncResource, fn: Callable, thisArg?: unknown): Callable {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    if (thisArg !== undefined) return this.runInAsyncScope.bind(this, fn, thisArg) as Callable;
    const runInScope = this.runInAsyncScope.bind(this);
    return function (this: unknown, ...args: unknown[]) {
      return runInScope(fn, this, ...args);
    };
  }
  AsyncResource.prototype.bind = bind as AsyncResource['bind'];
}
