/**
 * Issue #12's benchmark targets, each judged on the median over the bench's rounds of a figure
 * or of a ratio between two scenarios of the same round (so both ran on the machine in the same
 * state), and printed with the range and "met" or "missed".
 */
import { median, medianWithRange } from './bench-stats';

export interface Target {
  /** What is measured, e.g. "(c) cold boot read wait (ms)". */
  what: string;
  /** The figure in each round that has it. */
  values: readonly number[];
  limit: number;
  /** 'at most': the median must be ≤ limit; 'at least': ≥ limit. */
  kind: 'at most' | 'at least';
  digits: number;
  unit?: string;
}

/** One line per target: "- what: median [range] (target ≤ limit): met". */
export function targetLines(targets: readonly Target[]): string[] {
  return targets.map((target) => {
    const sign = target.kind === 'at most' ? '≤' : '≥';
    const unit = target.unit ?? '';
    if (target.values.length === 0) return `- ${target.what}: not measured in this run (target ${sign} ${target.limit}${unit})`;
    const middle = median(target.values);
    const met = target.kind === 'at most' ? middle <= target.limit : middle >= target.limit;
    return `- ${target.what}: ${medianWithRange(target.values, target.digits)}${unit} (target ${sign} ${target.limit}${unit}): ${met ? 'met' : 'MISSED'}`;
  });
}

/** Per round that has both: figure(of) / figure(reference). */
export function ratiosByRound<T extends { round: number }>(of: readonly T[], reference: readonly T[], figure: (result: T) => number): number[] {
  return of.flatMap((result) => {
    const sameRound = reference.find((r) => r.round === result.round);
    return sameRound && figure(sameRound) > 0 ? [figure(result) / figure(sameRound)] : [];
  });
}
