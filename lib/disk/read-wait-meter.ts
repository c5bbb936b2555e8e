/**
 * What the guest's disk costs it, measured at v86's disk interface (`get`/`set`/`flush`), the
 * same way for every disk backend so they can be compared side by side:
 *
 * - readWaitMs: summed time from v86 calling `get` to the disk calling v86's callback. A read
 *   answered within `get` (memory, a cached chunk) adds the few microseconds `get` took.
 * - asyncReads: reads whose callback came after `get` returned (a later task or microtask): the
 *   IDE command stays busy meanwhile, and the BIOS or kernel waits for the interrupt.
 * - engineMs: main-thread time spent inside the disk engine, as far as it can be bracketed at
 *   this interface for a few `performance.now()` calls per I/O: the synchronous part of every
 *   `get`, `set` and `flush` (planning, cache hits and copies, the pending-write overlay,
 *   starting fetches and IndexedDB transactions), minus the time spent in v86's own callback
 *   when the disk calls it synchronously. It does NOT include work the engine does in its own
 *   promise continuations before an asynchronous completion (handling a fetched chunk,
 *   IndexedDB callbacks): those run in tasks this interface cannot see without wrapping them,
 *   and the union adapter hands the settled read to v86's callback with no work in between.
 *
 * Reads v86 makes before the machine runs (`get_and_cache` of the boot sector) are not counted:
 * no guest waits on them, and v86's own disks can only be wrapped once the machine exists.
 */

export interface ReadWaitCounters {
  readWaitMs: number;
  asyncReads: number;
  engineMs: number;
}

export type ReadCallback = (data: Uint8Array) => void;
export type V86GetFunction = (startBytes: number, lengthBytes: number, fn: ReadCallback, options?: { signal?: AbortSignal }) => void;

export class ReadWaitMeter {
  private readonly totals: ReadWaitCounters = { readWaitMs: 0, asyncReads: 0, engineMs: 0 };

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /** A copy of the counters so far. */
  get counters(): ReadWaitCounters {
    return { ...this.totals };
  }

  /** Calls `get` as v86 would, with `fn` wrapped so the read's wait and engine time are counted. */
  get(get: V86GetFunction, startBytes: number, lengthBytes: number, fn: ReadCallback, options?: { signal?: AbortSignal }): void {
    this.bracket((done: ReadCallback) => get(startBytes, lengthBytes, done, options), fn, (waitMs, async) => {
      this.totals.readWaitMs += waitMs;
      if (async) this.totals.asyncReads += 1;
    });
  }

  /**
   * Runs `start(done)` (a `set` or `flush` given its completion), counting its synchronous time as
   * engine time, minus the time in `fn` when `done` is called within `start`.
   */
  sync(start: (done: () => void) => void, fn: () => void): void {
    this.bracket<void>(start, fn);
  }

  /**
   * Runs `start` with a completion that calls `fn`: the time `start` takes is engine time, less
   * any time spent in `fn` within it; `onAnswer` hears how long the answer took and whether it
   * came after `start` returned.
   */
  private bracket<T>(start: (done: (value: T) => void) => void, fn: (value: T) => void, onAnswer?: (waitMs: number, async: boolean) => void): void {
    const startedAtMs = this.nowMs();
    let returned = false;
    let callbackMs = 0;
    start((value) => {
      const answeredAtMs = this.nowMs();
      onAnswer?.(answeredAtMs - startedAtMs, returned);
      if (returned) return fn(value);
      fn(value);
      callbackMs += this.nowMs() - answeredAtMs;
    });
    returned = true;
    this.totals.engineMs += this.nowMs() - startedAtMs - callbackMs;
  }
}
