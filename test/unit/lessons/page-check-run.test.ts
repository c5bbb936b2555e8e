/** A page check's verdict from the disk's measures, and how it joins the guest check's. */
import { describe, expect, it } from 'vitest';
import type { PageCheck } from '@/lib/labs/page-check';
import { evaluatePageCheck, joinCheckRuns } from '@/lib/lessons/page-check-run';

const MiB = 1024 * 1024;
const check: PageCheck = {
  conditions: [
    { measure: 'liveLeafBytes', comparison: 'atLeast', target: 4 * MiB, failure: 'The leaf took {value}; write {target}.' },
    { measure: 'rootFetchedBytes', comparison: 'grewBy', target: 8 * MiB, failure: 'Fetched {value} more.' },
    { measure: 'frozenLayers', comparison: 'atMost', target: 0, failure: '{value} layers left.' },
  ],
};

describe('evaluatePageCheck', () => {
  it('fails each condition that does not hold, with its message filled in', () => {
    const run = evaluatePageCheck(check, { liveLeafBytes: 512 * 1024, rootFetchedBytes: 20 * MiB, frozenLayers: 3 }, { liveLeafBytes: 0, rootFetchedBytes: 15 * MiB, frozenLayers: 3 });
    expect(run.status).toBe(1);
    expect(run.outputText.split('\n').filter((line) => line.startsWith('FAIL: '))).toEqual([
      'FAIL: The leaf took 512 KiB; write 4.0 MiB.',
      'FAIL: Fetched 5.0 MiB more.',
      'FAIL: 3 layers left.',
    ]);
  });

  it('passes when every condition holds; grewBy counts from the step’s baseline, and never passes without one', () => {
    const measures = { liveLeafBytes: 4 * MiB, rootFetchedBytes: 24 * MiB, frozenLayers: 0 };
    expect(evaluatePageCheck(check, measures, { liveLeafBytes: 0, rootFetchedBytes: 16 * MiB, frozenLayers: 0 })).toEqual({
      status: 0,
      timedOut: false,
      outputText: 'ok: live leaf is 4.0 MiB (at least 4.0 MiB)\nok: root fetched grew by 8.0 MiB (at least 8.0 MiB)\nok: frozen layers is 0 (at most 0)\n',
    });
    expect(evaluatePageCheck(check, measures, { liveLeafBytes: 0, rootFetchedBytes: 16 * MiB + 1, frozenLayers: 0 }).status).toBe(1);
    expect(evaluatePageCheck(check, measures, undefined).outputText).toContain('FAIL: Fetched 0 B more.');
  });

  it('fails with a reason while no disk is open', () => {
    expect(evaluatePageCheck(check, undefined, undefined)).toMatchObject({ status: 1, outputText: expect.stringMatching(/^FAIL: The disk is not open yet/) });
  });
});

describe('joinCheckRuns', () => {
  const passed = { status: 0, timedOut: false, outputText: 'ok\n' };
  const failed = { status: 2, timedOut: false, outputText: 'FAIL: no file\n' };
  it('is done only when each check that ran passed, and keeps both outputs', () => {
    expect(joinCheckRuns(passed, passed)).toEqual({ status: 0, timedOut: false, outputText: 'ok\nok\n' });
    expect(joinCheckRuns(failed, passed)).toEqual({ status: 2, timedOut: false, outputText: 'FAIL: no file\nok\n' });
    expect(joinCheckRuns(passed, { ...failed, status: 1 }).status).toBe(1);
    expect(joinCheckRuns(undefined, passed)).toEqual(passed);
    expect(joinCheckRuns({ status: 0, timedOut: true, outputText: 'late' }, passed)).toMatchObject({ status: 1, timedOut: true, outputText: 'late\nok\n' });
  });
});
