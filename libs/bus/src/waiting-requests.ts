/**
 * Requests waiting for their answers, found by token: slots of an array, reused in turn, rather than a Map.
 *
 * A Map that takes and drops an entry per request rehashes into a new table every few dozen requests, and once its
 * table is in the old generation (it lived through a few scavenges while the map sat idle, or a full collection
 * moved it there) V8 allocates each rehashed table in the old generation too. A replaced table still points at
 * the requests that were waiting when it was replaced, and an old object's pointers keep young objects alive
 * through every scavenge until the next full collection: each rehash had those requests promoted whole (promise,
 * continuation, HTTP request and reply). Under load the gateway then ran a full collection about once a second
 * and its query p99 doubled (saturated) to quadrupled (paced). A slot is cleared as its request settles, so
 * nothing holds a settled request.
 */
export class WaitingRequests<T> {
  private slots: (Slot<T> | undefined)[];
  private waiting = 0;
  private next = 0;

  constructor(initialCapacity = 64) {
    this.slots = emptySlots(initialCapacity);
  }

  /** Keeps `value` under a new token, a number never given out before by this table. */
  add(value: T): number {
    const token = this.next++;
    if (this.slots[token % this.slots.length] !== undefined) this.grow(token);
    this.slots[token % this.slots.length] = { token, value };
    this.waiting++;
    return token;
  }

  /** Removes and returns what waits under `token`; undefined when nothing does (settled already, or unknown). */
  take(token: number): T | undefined {
    const index = token % this.slots.length;
    const slot = this.slots[index];
    if (slot?.token !== token) return undefined;
    this.slots[index] = undefined;
    this.waiting--;
    return slot.value;
  }

  /** The tokens still waiting. */
  tokens(): number[] {
    return this.slots.flatMap((slot) => (slot ? [slot.token] : []));
  }

  get size(): number {
    return this.waiting;
  }

  /** `token`'s slot is held by an earlier request still waiting: room enough that every token has a slot of its own. */
  private grow(token: number): void {
    const kept = this.slots.filter((slot): slot is Slot<T> => slot !== undefined);
    let capacity = this.slots.length * 2;
    while (!fitsApart([...kept.map((slot) => slot.token), token], capacity)) capacity *= 2;
    const slots = emptySlots<T>(capacity);
    for (const slot of kept) slots[slot.token % capacity] = slot;
    // The old array may be in the old generation by now: emptied, it holds no request alive.
    this.slots.fill(undefined);
    this.slots = slots;
  }
}

interface Slot<T> {
  readonly token: number;
  readonly value: T;
}

function emptySlots<T>(capacity: number): (Slot<T> | undefined)[] {
  return new Array<Slot<T> | undefined>(capacity).fill(undefined);
}

function fitsApart(tokens: number[], capacity: number): boolean {
  return new Set(tokens.map((token) => token % capacity)).size === tokens.length;
}
