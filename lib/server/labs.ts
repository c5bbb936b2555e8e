/**
 * The labs the server lists at GET /api/labs, read from the labs folder on each request (a few
 * small files: an instructor's edit shows without a restart). A lab with a problem is left out
 * and the problem logged, so one broken lab never hides the others behind a 500.
 *
 * Checked here: everything parse-lab.ts checks, a `next` that names no lab (so "next lab" never
 * dangles) and an image that is neither in the catalog nor has a recipe (image/<id>/image.json;
 * a lab whose image is not built yet is listed: the catalog changes while the server runs).
 * `sh -n` is lab:check's, not run per request.
 *
 * Server code only (it reads files through lab-folder.ts); not marked `server-only`, a package
 * this project does not install.
 */
import path from 'node:path';
import type { LabDefinition, LabProblem, LabStep, StepScriptKind } from '../labs/lab-format';
import { formatProblem } from '../labs/lab-format';
import { labsDirectory, listLabFolders, readLabTexts } from '../labs/lab-folder';
import { parseLab, unknownNextProblem } from '../labs/parse-lab';
import { keyLine } from '../labs/text-lines';
import { verifiedCatalog } from './catalog-service';
import { listImageRecipes } from './image-recipes';

export interface LabSummary extends Omit<LabDefinition, 'steps'> {
  steps: Array<Pick<LabStep, 'number' | 'slug' | 'title'> & { scripts: Record<StepScriptKind, boolean> }>;
}

const logLeftOut = (problem: LabProblem) => console.error(`labs: left out of /api/labs: ${formatProblem(problem)}`);

/** The labs in `directory` whose image is one of `knownImageIds`, each problem given to `log`. */
export async function listLabs(directory: string, knownImageIds: ReadonlySet<string>, log: (problem: LabProblem) => void = logLeftOut): Promise<LabSummary[]> {
  const shown = path.basename(directory);
  const ids = await listLabFolders(directory);
  const labs: LabSummary[] = [];
  for (const id of ids) {
    const texts = await readLabTexts(directory, id, shown);
    const { lab, problems } = parseLab(texts);
    if (lab) {
      const nextProblem = unknownNextProblem(texts, lab.next, ids, shown);
      if (nextProblem) problems.push(nextProblem);
      if (!knownImageIds.has(lab.image))
        problems.push({ file: `${texts.folder}/lab.json`, line: keyLine(texts.labJson ?? '', 'image'), problem: `unknown image "${lab.image}": not in the catalog and no recipe` });
    }
    problems.forEach(log);
    if (!lab || problems.length > 0) continue;
    labs.push({ ...lab, steps: lab.steps.map(({ number, slug, title, scripts }) => ({ number, slug, title, scripts })) });
  }
  return labs;
}

/** What GET /api/labs answers: the labs folder checked against the verified catalog and the image recipes. */
export async function listServedLabs(): Promise<LabSummary[]> {
  const catalog = await verifiedCatalog();
  const knownImageIds = new Set([...catalog.entries.keys(), ...(await listImageRecipes()).map((recipe) => recipe.id)]);
  return listLabs(labsDirectory(), knownImageIds);
}
