/**
 * Everything the lesson page (/labs/<id>) needs from the server, or why it cannot open: the lab
 * with its scripts' texts, its image from the verified catalog, the published layer chain it
 * boots on, and the title of the lab that follows it. Each refusal says what to do.
 */
import path from 'node:path';
import type { BootSettings, PublishedImage } from '../images/manifest';
import { formatProblem, LAB_ID_PATTERN } from '../labs/lab-format';
import { labsDirectory, listLabFolders, readLabTexts } from '../labs/lab-folder';
import { parseLab, unknownNextProblem } from '../labs/parse-lab';
import { lessonLabOf, type LessonLab } from '../lessons/lesson-lab';
import { verifiedCatalog } from './catalog-service';
import { describePublishedLayer } from './layers/layer-service';

export type LessonLoad =
  | {
      kind: 'ok';
      lab: LessonLab;
      image: PublishedImage;
      settings: BootSettings;
      layerIds: string[];
      nextLab: { id: string; title: string } | undefined;
    }
  | { kind: 'problem'; title: string; message: string; details?: string[] };

export async function loadLesson(labId: string): Promise<LessonLoad> {
  if (!LAB_ID_PATTERN.test(labId)) return { kind: 'problem', title: 'No such lab', message: `"${labId.slice(0, 80)}" is not a lab id.` };
  const directory = labsDirectory();
  const shown = path.basename(directory);
  const ids = await listLabFolders(directory);
  if (!ids.includes(labId)) {
    return { kind: 'problem', title: 'No such lab', message: `There is no lab "${labId}" on this server.${ids.length > 0 ? ` Labs here: ${ids.join(', ')}.` : ''}` };
  }
  const texts = await readLabTexts(directory, labId, shown);
  const { lab, problems } = parseLab(texts);
  const nextProblem = lab ? unknownNextProblem(texts, lab.next, ids, shown) : undefined;
  if (nextProblem) problems.push(nextProblem);
  if (!lab || problems.length > 0) {
    return {
      kind: 'problem',
      title: `Lab “${labId}” has problems`,
      message: 'The lab’s files do not pass `npm run lab:check`; its author must fix these first:',
      details: problems.map(formatProblem),
    };
  }
  const catalog = await verifiedCatalog();
  const entry = catalog.entries.get(lab.image);
  if (!entry) {
    const problem = catalog.problems.find((p) => p.folder === lab.image);
    return {
      kind: 'problem',
      title: `The image of this lab is not available`,
      message: problem
        ? `The lab runs on image "${lab.image}", which this server cannot serve: ${problem.message}`
        : `The lab runs on image "${lab.image}", which is not built on this server yet: run \`npm run image\` there (debian-lab takes about 12 minutes).`,
    };
  }
  let layerIds: string[] = [];
  if (lab.layer !== undefined) {
    const lookup = await describePublishedLayer(lab.layer);
    if (lookup.kind !== 'ok') {
      return { kind: 'problem', title: 'The environment of this lab is missing', message: `The lab boots on published layer ${lab.layer}, which this server does not have (publish it here, or fix lab.json's "layer").` };
    }
    const root = lookup.descriptor.root;
    if (root.id !== lab.image || root.sha256 !== entry.published.sha256) {
      return {
        kind: 'problem',
        title: 'The environment of this lab was made on another image',
        message: `Layer ${lab.layer} was made on ${root.id} (${root.sha256}), but this server's ${lab.image} is ${entry.published.sha256}: publish the lab's environment again on the current image.`,
      };
    }
    layerIds = lookup.chain;
  }
  let nextLab: { id: string; title: string } | undefined;
  if (lab.next !== undefined) {
    const next = parseLab(await readLabTexts(directory, lab.next, shown)).lab;
    if (next) nextLab = { id: lab.next, title: next.title };
  }
  return {
    kind: 'ok',
    lab: lessonLabOf(lab, texts.stepFiles),
    image: entry.published,
    settings: { ...entry.published.boot, ...lab.machine },
    layerIds,
    nextLab,
  };
}
