import { describe, expect, it } from 'vitest';
import { ratiosByRound, targetLines } from '@/test/bench/bench-targets';

describe('bench targets', () => {
  it('judges the median: met, MISSED, or not measured, with the range', () => {
    const lines = targetLines([
      { what: 'read wait', values: [100, 500, 140], limit: 150, kind: 'at most', digits: 0, unit: ' ms' },
      { what: 'requests', values: [13, 11, 14], limit: 12, kind: 'at most', digits: 0 },
      { what: 'writes vs (a)', values: [0.4, 0.6, 0.7], limit: 0.5, kind: 'at least', digits: 2, unit: '×' },
      { what: 'latency', values: [], limit: 400, kind: 'at most', digits: 0, unit: ' ms' },
    ]);
    expect(lines).toEqual([
      '- read wait: 140 [100–500] ms (target ≤ 150 ms): met',
      '- requests: 13 [11–14] (target ≤ 12): MISSED',
      '- writes vs (a): 0.60 [0.40–0.70]× (target ≥ 0.5×): met',
      '- latency: not measured in this run (target ≤ 400 ms)',
    ]);
  });

  it('pairs ratios by round and skips rounds the reference lacks', () => {
    const of = [
      { round: 0, ms: 30 },
      { round: 1, ms: 44 },
      { round: 2, ms: 50 },
    ];
    const reference = [
      { round: 1, ms: 40 },
      { round: 0, ms: 20 },
    ];
    expect(ratiosByRound(of, reference, (r) => r.ms)).toEqual([1.5, 1.1]);
  });
});
