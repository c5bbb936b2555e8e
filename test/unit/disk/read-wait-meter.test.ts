import { describe, expect, it } from 'vitest';
import { ReadWaitMeter, type ReadCallback } from '@/lib/disk/read-wait-meter';

/** A clock the test moves by hand, so every figure is exact. */
function manualClock() {
  const clock = { nowMs: 0, advance: (ms: number) => (clock.nowMs += ms) };
  return clock;
}

const DATA = new Uint8Array(512);

describe('ReadWaitMeter', () => {
  it('a read answered within get counts its time as wait and engine time, not async, and not the time in the callback', () => {
    const clock = manualClock();
    const meter = new ReadWaitMeter(() => clock.nowMs);
    let received: Uint8Array | undefined;
    meter.get(
      (_start, _length, done) => {
        clock.advance(0.25); // the engine finds the bytes
        done(DATA);
        clock.advance(0.5); // the engine's work after answering
      },
      0,
      512,
      (data) => {
        received = data;
        clock.advance(3); // v86 handles the data: not the engine's time
      },
    );
    expect(received).toBe(DATA);
    expect(meter.counters).toEqual({ readWaitMs: 0.25, asyncReads: 0, engineMs: 0.75 });
  });

  it('a read answered later counts the whole wait, once as async, and only get’s synchronous part as engine time', async () => {
    const clock = manualClock();
    const meter = new ReadWaitMeter(() => clock.nowMs);
    let answer: ReadCallback | undefined;
    const received: Uint8Array[] = [];
    meter.get(
      (_start, _length, done) => {
        clock.advance(2); // plans the read, starts a fetch
        answer = done;
      },
      4096,
      512,
      (data) => {
        received.push(data);
        clock.advance(10); // v86's callback
      },
    );
    expect(meter.counters).toEqual({ readWaitMs: 0, asyncReads: 0, engineMs: 2 });
    clock.advance(40); // the fetch
    answer!(DATA);
    expect(received).toEqual([DATA]);
    expect(meter.counters).toEqual({ readWaitMs: 42, asyncReads: 1, engineMs: 2 });
  });

  it('passes the range and the options through to the disk', () => {
    const meter = new ReadWaitMeter(() => 0);
    const signal = new AbortController().signal;
    const calls: unknown[] = [];
    meter.get((start, length, _done, options) => calls.push([start, length, options?.signal]), 1024, 768, () => {}, { signal });
    expect(calls).toEqual([[1024, 768, signal]]);
  });

  it('sync (set, flush) counts the synchronous part, without the callback, and no read', () => {
    const clock = manualClock();
    const meter = new ReadWaitMeter(() => clock.nowMs);
    let later: (() => void) | undefined;
    let completions = 0;
    meter.sync(
      (done) => {
        clock.advance(1.5); // copies the data into the pending overlay
        later = done;
      },
      () => (completions += 1),
    );
    clock.advance(100);
    later!();
    meter.sync(
      (done) => {
        clock.advance(0.5);
        done(); // a memory disk's set answers at once
      },
      () => {
        completions += 1;
        clock.advance(7);
      },
    );
    expect(completions).toBe(2);
    expect(meter.counters).toEqual({ readWaitMs: 0, asyncReads: 0, engineMs: 2 });
  });

  it('counters is a copy: the caller cannot change the meter', () => {
    const meter = new ReadWaitMeter(() => 0);
    const counters = meter.counters;
    counters.asyncReads = 99;
    expect(meter.counters.asyncReads).toBe(0);
  });
});
