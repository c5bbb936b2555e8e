/**
 * One lab from its already-read text: lab.json and the files of steps/. Plain TypeScript (no
 * Node imports); lab-folder.ts reads the files on the server and in tools.
 */
import { LAB_ID_PATTERN, type LabDefinition, type LabProblem } from './lab-format';
import { parseLabJson } from './lab-json';
import { parseSteps } from './lab-steps';
import { keyLine } from './text-lines';

export interface LabTexts {
  id: string;
  /** The lab's folder as people are shown it, e.g. labs/linux-basics. */
  folder: string;
  /** undefined: there is no lab.json. */
  labJson: string | undefined;
  /** name → text of each file in steps/ (an empty map when there is no steps/ folder). */
  stepFiles: ReadonlyMap<string, string>;
}

export function parseLab({ id, folder, labJson, stepFiles }: LabTexts): { lab?: LabDefinition; problems: LabProblem[] } {
  const problems: LabProblem[] = [];
  if (!LAB_ID_PATTERN.test(id)) problems.push({ file: folder, line: 1, problem: `"${id}" is not a lab id: lower-case letters, digits, dashes` });
  if (labJson === undefined) problems.push({ file: `${folder}/lab.json`, line: 1, problem: 'missing: every lab needs a lab.json' });
  const parsedJson = labJson === undefined ? { problems: [] } : parseLabJson(labJson, `${folder}/lab.json`);
  const parsedSteps = parseSteps(stepFiles, `${folder}/steps`);
  problems.push(...parsedJson.problems, ...parsedSteps.problems);
  if (problems.length > 0 || !parsedJson.lab) return { problems };
  return { problems, lab: { id, ...parsedJson.lab, steps: parsedSteps.steps } };
}

/** A `next` that names no lab among `labIds` (labs are checked one at a time, so the caller knows them all). */
export function unknownNextProblem(texts: Pick<LabTexts, 'folder' | 'labJson'>, next: unknown, labIds: readonly string[], shownLabsDirectory: string): LabProblem | undefined {
  if (typeof next !== 'string' || labIds.includes(next)) return undefined;
  return { file: `${texts.folder}/lab.json`, line: keyLine(texts.labJson ?? '', 'next'), problem: `"next" names no lab: there is no ${shownLabsDirectory}/${next}/` };
}
