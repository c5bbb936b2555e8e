/**
 * `npm run lab:check`'s checks (Node only): everything parse-lab.ts finds, plus what needs the
 * rest of the project: the image is in the catalog or has a recipe, `next` names a lab that
 * exists, and each script passes `sh -n`.
 *
 * An image with a recipe (image/<id>/image.json) that is not built yet is accepted with a note,
 * not a problem: debian-lab is built on demand (npm run image -- debian-lab), and a fresh
 * checkout must be able to check its labs before spending twenty minutes on a build.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseManifest } from '../images/manifest';
import { listImageFolders } from '../server/catalog';
import { listImageRecipes } from '../server/image-recipes';
import type { LabProblem } from './lab-format';
import { listLabFolders, readLabTexts } from './lab-folder';
import { keyLine } from './text-lines';
import { parseLab, unknownNextProblem } from './parse-lab';

export interface LabCheckOptions {
  labsDirectory: string;
  /** How the labs folder is named in problems, relative to where the tool runs (e.g. "labs"). */
  shownLabsDirectory: string;
  catalogDirectory: string;
  /** The checkout whose image/<id>/image.json recipes count as known images. */
  projectDirectory: string;
  /** Only these labs (default: every folder). */
  ids?: string[];
}

export interface LabCheckReport {
  checkedIds: string[];
  problems: LabProblem[];
  /** Remarks that do not fail the check (an image that is not built yet). */
  notes: LabProblem[];
}

/**
 * The guests run scripts with dash (debian-lab's /bin/sh), busybox sh (leaflab-linux) or bash;
 * the host's /bin/sh (dash on Debian) is the strictest of those at parsing, so its `-n` stands
 * in for all three.
 */
export function shellSyntaxProblem(scriptPath: string, shownFile: string): LabProblem | undefined {
  const result = spawnSync('/bin/sh', ['-n', scriptPath], { encoding: 'utf8' });
  if (result.status === 0) return undefined;
  const message = (result.stderr || result.error?.message || `sh -n exited with ${result.status}`).trim();
  const lineMatch = /:\s*(?:line\s*)?(\d+):/.exec(message);
  const text = message.replace(/^.*?:\s*(?:line\s*)?\d+:\s*/, '');
  return { file: shownFile, line: lineMatch ? Number(lineMatch[1]) : 1, problem: `not valid sh (sh -n): ${text}` };
}

async function builtImageIds(catalogDirectory: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const folder of (await listImageFolders(catalogDirectory)) ?? []) {
    try {
      const manifestPath = path.join(catalogDirectory, folder, 'manifest.json');
      const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
      if (manifest.id === folder) ids.add(folder);
    } catch {
      // Not a servable image folder; the catalog's own checks report it.
    }
  }
  return ids;
}

export async function checkLabs(options: LabCheckOptions): Promise<LabCheckReport> {
  const { labsDirectory, shownLabsDirectory } = options;
  const allIds = await listLabFolders(labsDirectory);
  const report: LabCheckReport = { checkedIds: [], problems: [], notes: [] };
  const ids = options.ids ?? allIds;
  const built = await builtImageIds(options.catalogDirectory);
  const recipes = new Set((await listImageRecipes(options.projectDirectory)).map((recipe) => recipe.id));

  for (const id of ids) {
    report.checkedIds.push(id);
    if (!allIds.includes(id)) {
      report.problems.push({ file: `${shownLabsDirectory}/${id}`, line: 1, problem: `no such lab (labs: ${allIds.join(', ') || 'none'})` });
      continue;
    }
    const texts = await readLabTexts(labsDirectory, id, shownLabsDirectory);
    const { problems } = parseLab(texts);
    report.problems.push(...problems);
    const labJsonFile = `${texts.folder}/lab.json`;
    const labJson = safeJson(texts.labJson);
    if (typeof labJson?.image === 'string' && labJson.image !== '' && !built.has(labJson.image)) {
      const line = keyLine(texts.labJson ?? '', 'image');
      if (recipes.has(labJson.image))
        report.notes.push({ file: labJsonFile, line, problem: `note: image "${labJson.image}" is not built yet (it has a recipe, image/${labJson.image}/image.json: npm run image -- ${labJson.image})` });
      else
        report.problems.push({ file: labJsonFile, line, problem: `unknown image "${labJson.image}": not in the catalog and no image/${labJson.image}/image.json recipe (images: ${[...new Set([...built, ...recipes])].sort().join(', ')})` });
    }
    const nextProblem = unknownNextProblem(texts, labJson?.next, allIds, shownLabsDirectory);
    if (nextProblem) report.problems.push(nextProblem);
    for (const [fileName, filePath] of [...texts.stepPaths].sort(([a], [b]) => a.localeCompare(b))) {
      if (!fileName.endsWith('.sh')) continue;
      const problem = shellSyntaxProblem(filePath, `${texts.folder}/steps/${fileName}`);
      if (problem) report.problems.push(problem);
    }
  }
  return report;
}

function safeJson(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
