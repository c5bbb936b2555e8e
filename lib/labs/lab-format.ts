/**
 * The lab format: what an instructor writes under labs/<id>/ and what the lab page, the
 * /api/labs list and `npm run lab:check` read from it. Plain TypeScript with no Node or DOM
 * imports: the browser parses text the server already read.
 *
 *   labs/<id>/lab.json                 title, description, image, optional layer, machine, next
 *   labs/<id>/steps/NN-<slug>.md       the step's text; its first heading is its title
 *   labs/<id>/steps/NN-<slug>.setup.sh runs in the guest when the step starts     (optional)
 *   labs/<id>/steps/NN-<slug>.check.sh exit 0 = done; its output is the feedback  (optional)
 *   labs/<id>/steps/NN-<slug>.hint.md  hints, several separated by a `---` line   (optional)
 *   labs/<id>/steps/NN-<slug>.solve.sh does the step, for tests and "show me"      (optional)
 *   labs/<id>/steps/NN-<slug>.page-check.json  conditions on the disk the page sees     (optional)
 *                                      (which layer serves the sectors, what was fetched:
 *                                      page-check.ts); with a .check.sh, both must pass
 *
 * Why flat files beside the step rather than a folder per step: an instructor sees a step's
 * text and its scripts side by side in one listing, sorted by number, and a script's name says
 * which step it belongs to without opening anything.
 */
import type { BootSettings } from '../images/manifest';

/**
 * Lab ids name folders and URLs (/labs/<id>): the same safe alphabet as image ids. At most 36
 * characters, so the student's workspace for the lab, `lab-<id>`, fits a workspace name (40).
 */
export const LAB_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,35}$/;

/** The workspace a lab's page keeps the student's disk and progress in, on the lab's image. */
export function labWorkspaceName(labId: string): string {
  return `lab-${labId}`;
}

/** `NN-<slug>.md` and its companions: two-digit number, lower-case slug, then the kind. */
export const STEP_FILE_PATTERN = /^(\d{2})-([a-z0-9][a-z0-9-]*)(\.md|\.setup\.sh|\.check\.sh|\.hint\.md|\.solve\.sh|\.page-check\.json)$/;

export const STEP_SCRIPT_KINDS = ['setup', 'check', 'hint', 'solve', 'pageCheck'] as const;
export type StepScriptKind = (typeof STEP_SCRIPT_KINDS)[number];

/** The file suffix of each companion kind (the `.md` of the text itself is not one of them). */
export const STEP_FILE_SUFFIX: Record<StepScriptKind, string> = {
  setup: '.setup.sh',
  check: '.check.sh',
  hint: '.hint.md',
  solve: '.solve.sh',
  pageCheck: '.page-check.json',
};

/** The companion kind a file suffix names (undefined for the step text's `.md`). */
export function companionKindOf(suffix: string): StepScriptKind | undefined {
  return STEP_SCRIPT_KINDS.find((kind) => STEP_FILE_SUFFIX[kind] === suffix);
}

/** Machine settings a lab may override: a subset of the image's boot settings, within BOOT_LIMITS. */
export type LabMachine = Partial<BootSettings>;

export interface LabStep {
  /** 1, 2, 3…: the NN of the file name, consecutive from 1. */
  number: number;
  slug: string;
  /** The text of the first heading of the step's markdown. */
  title: string;
  /** The step's markdown, as written. */
  markdown: string;
  /** Which companion files exist. */
  scripts: Record<StepScriptKind, boolean>;
}

/** What lab.json holds (lab-json.ts checks it). */
export interface LabJson {
  title: string;
  description: string;
  /** A catalog image id (catalog/<image>/manifest.json). */
  image: string;
  /** A published layer id (64 lower-case hex) the lab boots on top of the image. */
  layer?: string;
  machine?: LabMachine;
  /** The lab offered when this one is finished. */
  next?: string;
}

export interface LabDefinition extends LabJson {
  id: string;
  steps: LabStep[];
}

/** A problem with a lab, named by file (relative to the project, e.g. labs/x/lab.json) and line (1-based). */
export interface LabProblem {
  file: string;
  line: number;
  problem: string;
}

export function formatProblem({ file, line, problem }: LabProblem): string {
  return `${file}:${line}: ${problem}`;
}
