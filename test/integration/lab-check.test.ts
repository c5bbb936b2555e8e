/**
 * `npm run lab:check` over test/fixtures/labs: one broken lab per kind of problem, each found
 * with its exact file and line, and a good lab with none. The CLI runs for real (a child
 * process, as an instructor runs it); the per-lab assertions use the same checker in-process,
 * so each fixture is shown to produce exactly its one problem and nothing else.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLabs } from '@/lib/labs/check-labs';
import { formatProblem } from '@/lib/labs/lab-format';

const FIXTURES = 'test/fixtures/labs';

/** Each broken fixture and the one problem it must produce (a trailing … : the message goes on from there). */
const EXPECTED: Record<string, string> = {
  Bad_Id: `${FIXTURES}/Bad_Id:1: "Bad_Id" is not a lab id: lower-case letters, digits, dashes`,
  'bad-json': `${FIXTURES}/bad-json/lab.json:5: not valid JSON: …`,
  'bad-layer': `${FIXTURES}/bad-layer/lab.json:5: "layer" must be a published layer id: 64 lower-case hex digits`,
  'bad-page-check': `${FIXTURES}/bad-page-check/steps/01-first.page-check.json:4: condition 2: "measure" must be one of liveLeafBytes, frozenLayers, rootFetchedBytes (not "leafBites")`,
  'bad-machine': `${FIXTURES}/bad-machine/lab.json:6: "machine.memoryMiB" must be a whole number from 16 to 2048`,
  'bad-sh': `${FIXTURES}/bad-sh/steps/01-first.check.sh:4: not valid sh (sh -n): Syntax error: "fi" unexpected (expecting "done")`,
  'empty-step': `${FIXTURES}/empty-step/steps/01-first.md:1: the step text is empty`,
  'missing-field': `${FIXTURES}/missing-field/lab.json:1: missing field "image"`,
  'missing-lab-json': `${FIXTURES}/missing-lab-json/lab.json:1: missing: every lab needs a lab.json`,
  'no-heading': `${FIXTURES}/no-heading/steps/01-first.md:1: the step has no heading: its first "# Title" line is the step title`,
  'no-steps': `${FIXTURES}/no-steps/steps:1: no steps: add at least steps/01-<slug>.md`,
  'orphan-script': `${FIXTURES}/orphan-script/steps/02-second.check.sh:1: belongs to no step: there is no 02-second.md`,
  'step-duplicate': `${FIXTURES}/step-duplicate/steps/01-other.md:1: step 01 is also 01-first.md: each number names one step`,
  'step-gap': `${FIXTURES}/step-gap/steps/03-third.md:1: step numbers must run 01, 02, … without a gap: expected 02 here`,
  'stray-file': `${FIXTURES}/stray-file/steps/01-first.check.bash:1: not a step file: expected NN-<slug>.md, .setup.sh, .check.sh, .hint.md, .solve.sh or .page-check.json (slug: lower-case letters, digits, dashes)`,
  'unknown-field': `${FIXTURES}/unknown-field/lab.json:5: unknown field "nxet" (known: title, description, image, layer, machine, next)`,
  'unknown-image': `${FIXTURES}/unknown-image/lab.json:4: unknown image "no-such-image": not in the catalog and no image/no-such-image/image.json recipe …`,
  'unknown-next': `${FIXTURES}/unknown-next/lab.json:5: "next" names no lab: there is no ${FIXTURES}/no-such-lab/`,
};

function matches(line: string, expected: string): boolean {
  return expected.endsWith(' …') ? line.startsWith(expected.slice(0, -2)) : line === expected;
}

const options = { labsDirectory: path.resolve(FIXTURES), shownLabsDirectory: FIXTURES, catalogDirectory: path.resolve('catalog'), projectDirectory: process.cwd() };

describe('lab:check', () => {
  it('as a command, prints every fixture\'s problem as file:line: problem and exits 1', () => {
    const result = spawnSync(path.resolve('node_modules/.bin/tsx'), ['scripts/lab-check.ts', '--labs', FIXTURES], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stdout + result.stderr).toBe(1);
    const problemLines = result.stdout.split('\n').filter((line) => line.startsWith(`${FIXTURES}/`) && !line.includes(': note: '));
    for (const expected of Object.values(EXPECTED)) expect(problemLines.filter((line) => matches(line, expected)), expected).toHaveLength(1);
    expect(problemLines).toHaveLength(Object.keys(EXPECTED).length);
    expect(result.stdout).toContain(`lab:check: ${Object.keys(EXPECTED).length} problems in ${Object.keys(EXPECTED).length + 1} labs`);
  });

  it('as a command, passes a good lab and exits 0', () => {
    const result = spawnSync(path.resolve('node_modules/.bin/tsx'), ['scripts/lab-check.ts', '--labs', FIXTURES, 'good'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('lab:check: 1 lab OK (good)');
  });

  for (const [id, expected] of Object.entries(EXPECTED)) {
    it(`finds exactly one problem in ${id}`, async () => {
      const report = await checkLabs({ ...options, ids: [id] });
      expect(report.problems).toHaveLength(1);
      const line = formatProblem(report.problems[0] as Parameters<typeof formatProblem>[0]);
      expect(matches(line, expected), line).toBe(true);
    });
  }

  it('names a lab that does not exist', async () => {
    const report = await checkLabs({ ...options, ids: ['nope'] });
    expect(report.problems.map(formatProblem)).toEqual([expect.stringMatching(/^test\/fixtures\/labs\/nope:1: no such lab \(labs: Bad_Id, bad-json, /)]);
  });
});
