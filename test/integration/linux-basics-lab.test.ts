/**
 * The "Linux command line basics" lab's scripts, as a cheap sanity test on the host: for each
 * step, setup, then the check must fail (with a FAIL: line), then solve, then the check must
 * pass. They are meant for the debian-lab guest (no agent runs them there yet); they are plain
 * POSIX sh over coreutils, procps-style /proc, git and python3, and keep to LAB_HOME (default
 * /home/student), so a throwaway folder on the host stands in for the student's home.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLabs } from '@/lib/labs/check-labs';
import { loadLab } from '@/lib/labs/lab-folder';

const labsDirectory = path.resolve('labs');
const hostHas = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const missing = ['git', 'python3'].filter((command) => !hostHas(command));
const home = mkdtempSync(path.join(tmpdir(), 'leaflab-linux-basics-'));
// Only what the scripts may use (NODE_ENV: Next's typing of process.env requires it).
const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LAB_HOME: home, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', NODE_ENV: 'test' };

function run(scriptPath: string) {
  const result = spawnSync('/bin/sh', [scriptPath], { env: environment, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

afterAll(() => {
  // A spinner left running by a failed test must not outlive it.
  const pidFile = path.join(home, 'lab', '.spinner.pid');
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')));
  } catch {
    // already stopped, or never started
  }
  rmSync(home, { recursive: true, force: true });
});

describe('the shipped labs', () => {
  it('pass lab:check (an image not built yet is only a note)', async () => {
    const report = await checkLabs({ labsDirectory, shownLabsDirectory: 'labs', catalogDirectory: path.resolve('catalog'), projectDirectory: process.cwd() });
    expect(report.problems).toEqual([]);
    expect(report.checkedIds).toContain('linux-basics');
  });
});

describe.skipIf(missing.length > 0)(`linux-basics on the host${missing.length > 0 ? ` (skipped: the host has no ${missing.join(' or ')})` : ''}`, async () => {
  const { lab, problems } = await loadLab(labsDirectory, 'linux-basics', 'labs');
  it('has at least six steps, each with a check, a hint and a solve', () => {
    expect(problems).toEqual([]);
    expect(lab?.steps.length).toBeGreaterThanOrEqual(6);
    for (const step of lab?.steps ?? []) expect(step.scripts, step.slug).toMatchObject({ check: true, hint: true, solve: true });
  });
  for (const step of lab?.steps ?? []) {
    it(`step ${step.number} (${step.slug}): the check fails before the work and passes after`, () => {
      const file = (suffix: string) => path.join(labsDirectory, 'linux-basics', 'steps', `${String(step.number).padStart(2, '0')}-${step.slug}${suffix}`);
      if (step.scripts.setup) expect(run(file('.setup.sh'))).toMatchObject({ status: 0, output: '' });
      const before = run(file('.check.sh'));
      expect(before.status, before.output).not.toBe(0);
      expect(before.output).toMatch(/^FAIL: /m);
      const solve = run(file('.solve.sh'));
      expect(solve.status, solve.output).toBe(0);
      const after = run(file('.check.sh'));
      expect(after.status, after.output).toBe(0);
      expect(after.output).not.toMatch(/^FAIL: /m);
    });
  }
});
