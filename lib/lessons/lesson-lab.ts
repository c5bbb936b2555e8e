/**
 * A lab as the lesson page runs it: the parsed definition (lib/labs) plus the text of each
 * step's scripts and hints, which the server reads and hands to the page in one piece. Plain
 * TypeScript with no DOM or Node imports.
 */
import { STEP_FILE_SUFFIX, type LabDefinition, type LabStep } from '../labs/lab-format';
import { splitHints } from '../labs/lab-steps';
import { parsePageCheck, type PageCheck } from '../labs/page-check';

export interface LessonStep extends LabStep {
  /** Runs in the guest when the step starts (and again when it is restarted). */
  setup?: string;
  /** Exit 0: done. Its output is the feedback. */
  check?: string;
  /** Conditions on the disk the page sees; with `check`, both must pass. */
  pageCheck?: PageCheck;
  /** Shown one at a time, on request. */
  hints: string[];
  /** Does the step's work: for tests and for instructors. */
  solve?: string;
}

export interface LessonLab extends Omit<LabDefinition, 'steps'> {
  steps: LessonStep[];
}

/** The step has something to check: a script in the guest, conditions on the page, or both. */
export function hasCheck(step: Pick<LessonStep, 'check' | 'pageCheck'>): boolean {
  return step.check !== undefined || step.pageCheck !== undefined;
}

/** The step file name of `step`'s companion `kind`, e.g. 03-pipes.check.sh. */
export function stepFileName(step: Pick<LabStep, 'number' | 'slug'>, kind: keyof typeof STEP_FILE_SUFFIX): string {
  return `${String(step.number).padStart(2, '0')}-${step.slug}${STEP_FILE_SUFFIX[kind]}`;
}

/** `lab` with its scripts' texts, from the steps/ files (name → text) it was parsed from. */
export function lessonLabOf(lab: LabDefinition, stepFiles: ReadonlyMap<string, string>): LessonLab {
  return {
    ...lab,
    steps: lab.steps.map((step) => {
      const text = (kind: keyof typeof STEP_FILE_SUFFIX) => (step.scripts[kind] ? stepFiles.get(stepFileName(step, kind)) : undefined);
      const hint = text('hint');
      const pageCheckText = text('pageCheck');
      // Parsed once more here (parseLab validated it): the lab reaches the page already checked.
      const pageCheck = pageCheckText === undefined ? undefined : parsePageCheck(pageCheckText, stepFileName(step, 'pageCheck')).pageCheck;
      return { ...step, setup: text('setup'), check: text('check'), pageCheck, solve: text('solve'), hints: hint === undefined ? [] : splitHints(hint) };
    }),
  };
}
