/**
 * Reads labs from disk (Node only: the server's /api/labs and `npm run lab:check` use it; the
 * browser gets parsed labs from the server). Not marked `server-only`: the lab:check tool runs
 * outside Next, where that package's guard throws.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LabDefinition, LabProblem } from './lab-format';
import { parseLab, type LabTexts } from './parse-lab';

/** Where labs live; LEAFLAB_LABS_DIR points elsewhere (tests). */
export function labsDirectory(): string {
  // turbopackIgnore: labs are data read at run time, not files to trace into the build.
  return path.resolve(/*turbopackIgnore: true*/ process.env.LEAFLAB_LABS_DIR ?? path.join(process.cwd(), 'labs'));
}

/** The lab folders, sorted (hidden ones skipped); [] when there is no labs folder. */
export async function listLabFolders(directory: string): Promise<string[]> {
  const children = await readdir(/*turbopackIgnore: true*/ directory, { withFileTypes: true }).catch(() => []);
  return children
    .filter((child) => child.isDirectory() && !child.name.startsWith('.'))
    .map((child) => child.name)
    .sort();
}

/** The texts of one lab folder; `shownDirectory` is how the labs folder is named in problems. */
export async function readLabTexts(directory: string, id: string, shownDirectory: string): Promise<LabTexts & { stepPaths: Map<string, string> }> {
  const labPath = path.join(/*turbopackIgnore: true*/ directory, id);
  const labJson = await readFile(path.join(/*turbopackIgnore: true*/ labPath, 'lab.json'), 'utf8').catch(() => undefined);
  const stepsPath = path.join(/*turbopackIgnore: true*/ labPath, 'steps');
  const entries = await readdir(/*turbopackIgnore: true*/ stepsPath, { withFileTypes: true }).catch(() => []);
  const stepFiles = new Map<string, string>();
  const stepPaths = new Map<string, string>();
  for (const entry of entries.filter((child) => child.isFile())) {
    const filePath = path.join(/*turbopackIgnore: true*/ stepsPath, entry.name);
    stepFiles.set(entry.name, await readFile(/*turbopackIgnore: true*/ filePath, 'utf8'));
    stepPaths.set(entry.name, filePath);
  }
  return { id, folder: `${shownDirectory}/${id}`, labJson, stepFiles, stepPaths };
}

/** Reads and parses one lab. */
export async function loadLab(directory: string, id: string, shownDirectory: string): Promise<{ lab?: LabDefinition; problems: LabProblem[] }> {
  return parseLab(await readLabTexts(directory, id, shownDirectory));
}
