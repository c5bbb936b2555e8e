/**
 * A lab's steps from the files of its steps/ folder (names and text already read). Plain
 * TypeScript (no Node imports). Numbers run 01, 02, … with no gap and no duplicate, so the
 * order a student sees is the order of the listing; every companion file needs its step.
 */
import { companionKindOf, STEP_FILE_PATTERN, STEP_SCRIPT_KINDS, type LabProblem, type LabStep, type StepScriptKind } from './lab-format';
import { parsePageCheck } from './page-check';

/** The text of the step's first markdown heading (`# Title`, any level), and its line. */
export function firstHeading(markdown: string): { title: string; line: number } | undefined {
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(lines[index] ?? '');
    if (match?.[1]) return { title: match[1], line: index + 1 };
  }
  return undefined;
}

/** The hints of a `.hint.md`, in order: blocks separated by a line of three or more dashes. */
export function splitHints(markdown: string): string[] {
  return markdown
    .split(/^\s*-{3,}\s*$/m)
    .map((hint) => hint.trim())
    .filter((hint) => hint !== '');
}

interface StepFiles {
  number: number;
  slug: string;
  fileName: string;
  markdown?: string;
  scripts: Record<StepScriptKind, boolean>;
}

/**
 * `files`: name → text of every file in steps/ (scripts may be given as '' when only their
 * presence matters). `folder` names steps/ in problems, e.g. labs/linux-basics/steps.
 */
export function parseSteps(files: ReadonlyMap<string, string>, folder: string): { steps: LabStep[]; problems: LabProblem[] } {
  const problems: LabProblem[] = [];
  const add = (fileName: string, line: number, problem: string) => problems.push({ file: `${folder}/${fileName}`, line, problem });
  const byNumber = new Map<number, StepFiles>();
  const companions: Array<{ fileName: string; number: number; slug: string; kind: StepScriptKind }> = [];

  for (const fileName of [...files.keys()].sort()) {
    const match = STEP_FILE_PATTERN.exec(fileName);
    if (!match) {
      add(fileName, 1, 'not a step file: expected NN-<slug>.md, .setup.sh, .check.sh, .hint.md, .solve.sh or .page-check.json (slug: lower-case letters, digits, dashes)');
      continue;
    }
    const number = Number(match[1]);
    const slug = match[2] as string;
    const kind = companionKindOf(match[3] as string);
    if (kind !== undefined) {
      companions.push({ fileName, number, slug, kind });
      if (kind === 'pageCheck') problems.push(...parsePageCheck(files.get(fileName) ?? '', `${folder}/${fileName}`).problems);
      continue;
    }
    const existing = byNumber.get(number);
    if (existing) {
      add(fileName, 1, `step ${match[1]} is also ${existing.fileName}: each number names one step`);
      continue;
    }
    const markdown = files.get(fileName) ?? '';
    byNumber.set(number, { number, slug, fileName, markdown, scripts: noScripts() });
  }

  for (const { fileName, number, slug, kind } of companions) {
    const step = byNumber.get(number);
    if (!step || step.slug !== slug) add(fileName, 1, `belongs to no step: there is no ${String(number).padStart(2, '0')}-${slug}.md`);
    else step.scripts[kind] = true;
  }

  const numbers = [...byNumber.keys()].sort((a, b) => a - b);
  if (numbers.length === 0) problems.push({ file: folder, line: 1, problem: 'no steps: add at least steps/01-<slug>.md' });
  numbers.forEach((number, index) => {
    const expected = index + 1;
    if (number !== expected) {
      const step = byNumber.get(number) as StepFiles;
      add(step.fileName, 1, `step numbers must run 01, 02, … without a gap: expected ${String(expected).padStart(2, '0')} here`);
    }
  });

  const steps: LabStep[] = [];
  for (const number of numbers) {
    const step = byNumber.get(number) as StepFiles;
    const markdown = step.markdown ?? '';
    if (markdown.trim() === '') {
      add(step.fileName, 1, 'the step text is empty');
      continue;
    }
    const heading = firstHeading(markdown);
    if (!heading) {
      add(step.fileName, 1, 'the step has no heading: its first "# Title" line is the step title');
      continue;
    }
    steps.push({ number, slug: step.slug, title: heading.title, markdown, scripts: step.scripts });
  }
  return { steps, problems };
}

function noScripts(): Record<StepScriptKind, boolean> {
  return Object.fromEntries(STEP_SCRIPT_KINDS.map((kind) => [kind, false])) as Record<StepScriptKind, boolean>;
}
