/**
 * Evaluates a step's page check against the disk's measures, and joins its verdict with the
 * guest check's into the one `CheckRun` that progress keeps: a failed condition is a `FAIL:`
 * line, so the page shows it as the headline of a red check like a script's own. Plain
 * TypeScript.
 */
import { formatBytes } from '../format';
import type { PageCheck, PageComparison, PageCondition, PageMeasure } from '../labs/page-check';
import type { DiskMeasures } from './disk-measures';
import type { CheckRun } from './lesson-progress';

function shown(condition: PageCondition, amount: number): string {
  return condition.measure.endsWith('Bytes') ? formatBytes(amount) : String(amount);
}

const MEASURE_LABEL: Record<PageMeasure, string> = { liveLeafBytes: 'live leaf', frozenLayers: 'frozen layers', rootFetchedBytes: 'root fetched' };
const COMPARISON_LABEL: Record<PageComparison, string> = { atLeast: 'at least', atMost: 'at most', grewBy: 'at least' };

/**
 * `baseline`: the measures when the step began on this machine (for `grewBy`). Without one,
 * nothing has grown yet: a `grewBy` never passes on a figure it cannot compare.
 */
export function evaluatePageCheck(pageCheck: PageCheck, measures: DiskMeasures | undefined, baseline: DiskMeasures | undefined): CheckRun {
  if (!measures) return { status: 1, timedOut: false, outputText: 'FAIL: The disk is not open yet, so the page cannot look at it; wait for the machine to start.\n' };
  const lines: string[] = [];
  let failed = false;
  for (const condition of pageCheck.conditions) {
    const now = measures[condition.measure];
    const value = condition.comparison === 'grewBy' ? now - (baseline?.[condition.measure] ?? now) : now;
    const holds = condition.comparison === 'atMost' ? value <= condition.target : value >= condition.target;
    if (holds) {
      const verb = condition.comparison === 'grewBy' ? 'grew by' : 'is';
      lines.push(`ok: ${MEASURE_LABEL[condition.measure]} ${verb} ${shown(condition, value)} (${COMPARISON_LABEL[condition.comparison]} ${shown(condition, condition.target)})`);
      continue;
    }
    failed = true;
    lines.push(`FAIL: ${condition.failure.replaceAll('{value}', shown(condition, value)).replaceAll('{target}', shown(condition, condition.target))}`);
  }
  return { status: failed ? 1 : 0, timedOut: false, outputText: `${lines.join('\n')}\n` };
}

/** Both checks' verdict: done only when each one that ran passed; the guest's output first. */
export function joinCheckRuns(guest: CheckRun | undefined, page: CheckRun | undefined): CheckRun {
  const runs = [guest, page].filter((run): run is CheckRun => run !== undefined);
  const failedRun = runs.find((run) => run.status !== 0 || run.timedOut);
  return {
    status: failedRun ? failedRun.status || 1 : 0,
    timedOut: runs.some((run) => run.timedOut),
    outputText: runs.map((run) => run.outputText).join(runs.every((run) => run.outputText.endsWith('\n') || run.outputText === '') ? '' : '\n'),
  };
}
