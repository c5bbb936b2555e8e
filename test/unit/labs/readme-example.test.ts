/** README's "Writing a lab" example is a lab the parser accepts, so the documentation cannot drift from the format. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseLab } from '@/lib/labs/parse-lab';

const section = readFileSync('README.md', 'utf8').split('## Writing a lab')[1]?.split('\n## ')[0] ?? '';

/** The body of the first fenced block that opens after `marker`. */
function blockAfter(marker: string, fence = '```'): string {
  const start = section.indexOf(marker);
  expect(start, marker).toBeGreaterThanOrEqual(0);
  const bodyStart = section.indexOf('\n', section.indexOf(fence, start)) + 1;
  return section.slice(bodyStart, section.indexOf(`\n${fence}\n`, bodyStart) + 1);
}

/** A script block: from its `# 01-files.<kind>.sh` comment line to the block's end. */
function scriptBlock(fileName: string): string {
  const start = section.indexOf(`# ${fileName}\n`);
  expect(start, fileName).toBeGreaterThanOrEqual(0);
  return section.slice(start, section.indexOf('\n```\n', start) + 1);
}

it('README shows a lab.json and a step with its scripts that parse and pass sh -n', () => {
  const stepFiles = new Map([['01-files.md', blockAfter('A complete step', '````')]]);
  const labJson = blockAfter('`lab.json`:');
  const parsed = parseLab({ id: 'linux-basics', folder: 'labs/linux-basics', labJson, stepFiles });
  expect(parsed.problems).toEqual([]);
  expect(parsed.lab?.steps[0]?.title).toBe('Files and folders');

  const work = mkdtempSync(path.join(tmpdir(), 'leaflab-readme-lab-'));
  try {
    for (const kind of ['setup', 'check', 'solve']) {
      const script = scriptBlock(`01-files.${kind}.sh`);
      const file = path.join(work, `${kind}.sh`);
      expect(script.split('\n').length, kind).toBeGreaterThan(2);
      writeFileSync(file, script);
      expect(spawnSync('/bin/sh', ['-n', file]).status, script).toBe(0);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
