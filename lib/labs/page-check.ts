/**
 * A step's page check (`NN-<slug>.page-check.json`): conditions on the disk as the page sees it,
 * for what a check inside the guest cannot know: which layer serves the guest's sectors, what
 * crossed the network. The page evaluates them (lib/lessons/page-check-run.ts) beside the
 * step's `.check.sh`; the step is done when both pass. Plain TypeScript (no Node or DOM).
 *
 *   { "conditions": [
 *       { "measure": "liveLeafBytes", "atLeast": 4194304,
 *         "failure": "The leaf took {value} since this step began: write the 4 MiB file." } ] }
 *
 * Declarative rather than a script run in the page: an instructor's file never executes
 * anything in the student's browser, and lab:check can validate every field up front.
 */
import type { LabProblem } from './lab-format';
import { keyLine, lineAt, syntaxErrorLine } from './text-lines';

/** What the page can measure on the running disk (lib/lessons/disk-measures.ts computes them). */
export const PAGE_MEASURES = {
  liveLeafBytes:
    'bytes the live leaf holds (written, saved or being saved). Each step begins with a checkpoint, so this is what the guest wrote since the step began',
  frozenLayers: 'how many frozen layers (checkpoints, published layers) the disk stacks under the live leaf',
  rootFetchedBytes: 'bytes of the root image fetched and held in memory now',
} as const;
export type PageMeasure = keyof typeof PAGE_MEASURES;

/**
 * `grewBy`: the measure rose by at least this much since the step began on this machine (a
 * reload or a restart measures again from its boot: the page keeps no earlier figure).
 */
export const PAGE_COMPARISONS = ['atLeast', 'atMost', 'grewBy'] as const;
export type PageComparison = (typeof PAGE_COMPARISONS)[number];

export interface PageCondition {
  measure: PageMeasure;
  comparison: PageComparison;
  /** A whole number: bytes for the *Bytes measures, a count otherwise. */
  target: number;
  /** Shown when the condition does not hold; `{value}` and `{target}` are replaced (bytes formatted). */
  failure: string;
}

export interface PageCheck {
  conditions: PageCondition[];
}

const MAX_FAILURE_CHARS = 300;
const MAX_CONDITIONS = 8;

/** Parses and validates a page check; every problem names its line in `file`. */
export function parsePageCheck(text: string, file: string): { pageCheck?: PageCheck; problems: LabProblem[] } {
  const problems: LabProblem[] = [];
  const add = (line: number, problem: string) => problems.push({ file, line, problem });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    add(syntaxErrorLine(text, message), `not valid JSON: ${message}`);
    return { problems };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    add(1, 'must be a JSON object with a "conditions" list');
    return { problems };
  }
  for (const key of Object.keys(value)) if (key !== 'conditions') add(keyLine(text, key), `unknown field "${key}" (a page check has only "conditions")`);
  const list = (value as { conditions?: unknown }).conditions;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CONDITIONS) {
    add(keyLine(text, 'conditions'), `"conditions" must be a list of 1 to ${MAX_CONDITIONS} conditions`);
    return { problems };
  }
  const conditions: PageCondition[] = [];
  let searchFrom = 0;
  list.forEach((item: unknown, index) => {
    // Each condition's problems point at its own "measure" line (conditions are written one per block).
    const measureOffset = text.indexOf('"measure"', searchFrom);
    const line = measureOffset >= 0 ? lineAt(text, measureOffset) : keyLine(text, 'conditions');
    if (measureOffset >= 0) searchFrom = measureOffset + 1;
    const parsed = parseCondition(item, index + 1);
    parsed.problems.forEach((problem) => add(line, problem));
    if (parsed.condition) conditions.push(parsed.condition);
  });
  return problems.length > 0 ? { problems } : { pageCheck: { conditions }, problems };
}

function parseCondition(item: unknown, number: number): { condition?: PageCondition; problems: string[] } {
  const at = `condition ${number}`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { problems: [`${at} must be an object with "measure", one of ${PAGE_COMPARISONS.join('/')}, and "failure"`] };
  }
  const problems: string[] = [];
  const fields = item as Record<string, unknown>;
  const known = new Set<string>(['measure', 'failure', ...PAGE_COMPARISONS]);
  for (const key of Object.keys(fields)) if (!known.has(key)) problems.push(`${at}: unknown field "${key}"`);
  const measure = fields.measure;
  if (typeof measure !== 'string' || !Object.hasOwn(PAGE_MEASURES, measure)) {
    problems.push(`${at}: "measure" must be one of ${Object.keys(PAGE_MEASURES).join(', ')}${typeof measure === 'string' ? ` (not "${measure}")` : ''}`);
  }
  const comparisons = PAGE_COMPARISONS.filter((comparison) => comparison in fields);
  if (comparisons.length !== 1) problems.push(`${at}: give exactly one of ${PAGE_COMPARISONS.join(', ')} (found ${comparisons.length})`);
  const comparison = comparisons[0];
  const target = comparison === undefined ? undefined : fields[comparison];
  if (comparison !== undefined && (typeof target !== 'number' || !Number.isSafeInteger(target) || target < 0)) {
    problems.push(`${at}: "${comparison}" must be a whole number ≥ 0 (bytes for the *Bytes measures)`);
  }
  const failure = fields.failure;
  if (typeof failure !== 'string' || failure.trim() === '' || failure.length > MAX_FAILURE_CHARS) {
    problems.push(`${at}: "failure" must be the message the student sees when it does not hold (1 to ${MAX_FAILURE_CHARS} characters)`);
  }
  if (problems.length > 0) return { problems };
  return { condition: { measure: measure as PageMeasure, comparison: comparison as PageComparison, target: target as number, failure: failure as string }, problems };
}
