/**
 * The runner's ordering and bookkeeping, against a guest reduced to what scripts it was asked to
 * run (the real agent in a real guest is the e2e test's). Timers are Vitest's fake ones, so the
 * periodic check is exercised without waiting.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LessonLab } from '@/lib/lessons/lesson-lab';
import { newProgress, type CheckRun, type LessonProgress } from '@/lib/lessons/lesson-progress';
import { LessonRunner } from '@/lib/lessons/lesson-runner';

const lab: LessonLab = {
  id: 'demo',
  title: 'Demo',
  description: 'two steps',
  image: 'leaflab-linux',
  steps: [1, 2].map((number) => ({
    number,
    slug: `step-${number}`,
    title: `Step ${number}`,
    markdown: `# Step ${number}`,
    scripts: { setup: true, check: true, hint: true, solve: false, pageCheck: false },
    setup: `setup ${number}`,
    check: `check ${number}`,
    hints: [`hint ${number}a`, `hint ${number}b`],
  })),
};

/** A guest in which `check N` passes once `done` holds N. */
class ScriptedGuest {
  readonly ran: string[] = [];
  readonly done = new Set<number>();
  failNext: Error | undefined;
  run = (script: string): Promise<CheckRun> => {
    this.ran.push(script);
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      return Promise.reject(error);
    }
    const check = /^check (\d)$/.exec(script);
    if (check && !this.done.has(Number(check[1]))) return Promise.resolve({ status: 1, timedOut: false, outputText: `FAIL: step ${check[1]} not done\n` });
    return Promise.resolve({ status: 0, timedOut: false, outputText: 'ok\n' });
  };
}

let guest: ScriptedGuest;
let saved: LessonProgress[];

function runner(progress = newProgress('demo'), extra: Partial<ConstructorParameters<typeof LessonRunner>[0]> = {}): LessonRunner {
  return new LessonRunner({
    lab,
    progress,
    runScript: (script) => guest.run(script),
    save: async (p) => void saved.push(p),
    now: () => 42,
    checkIntervalMs: 5000,
    ...extra,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  guest = new ScriptedGuest();
  saved = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LessonRunner', () => {
  it('runs the setup once the machine is ready, then checks every interval until the step is done, then stops', async () => {
    const lesson = runner();
    expect(guest.ran).toEqual([]); // nothing before the guest is at its prompt
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    expect(guest.ran).toEqual(['setup 1', 'check 1']);
    expect(lesson.snapshot().progress.steps[1]?.kind).toBe('failed');
    await vi.advanceTimersByTimeAsync(5000);
    expect(guest.ran).toEqual(['setup 1', 'check 1', 'check 1']);
    guest.done.add(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(lesson.snapshot().progress.steps[1]?.kind).toBe('done');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(guest.ran.filter((s) => s === 'check 1')).toHaveLength(3);
    expect(saved.at(-1)?.steps[1]?.kind).toBe('done');
  });

  it('does not run a setup again after a reload (the stored progress says it ran)', async () => {
    const first = runner();
    first.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    first.dispose();
    guest.ran.length = 0;
    const second = runner(saved.at(-1));
    second.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    expect(guest.ran).toEqual(['check 1']);
  });

  it('opens the next step: its setup runs, and the first step is no longer checked', async () => {
    guest.done.add(1);
    const lesson = runner();
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    await lesson.openStep(2);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(guest.ran.slice(0, 4)).toEqual(['setup 1', 'check 1', 'setup 2', 'check 2']);
    expect(guest.ran.slice(2).every((s) => s.endsWith('2'))).toBe(true);
  });

  it('checkNow waits for a running setup and returns the verdict', async () => {
    const lesson = runner();
    lesson.machineReady();
    const verdict = await lesson.checkNow();
    expect(verdict.kind).toBe('failed');
    expect(guest.ran.slice(0, 2)).toEqual(['setup 1', 'check 1']);
  });

  it('shows hints one at a time, never past the last', () => {
    const lesson = runner();
    lesson.showNextHint();
    lesson.showNextHint();
    lesson.showNextHint();
    expect(lesson.snapshot().hintsShown).toBe(2);
  });

  it('says why when the agent does not answer, and stops checking until asked', async () => {
    guest.failNext = new Error('this image cannot run checks (no Leaflab agent answered on ttyS1 within 30 s)');
    const lesson = runner();
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    expect(lesson.snapshot().problem).toMatch(/cannot run checks/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(guest.ran).toEqual(['setup 1']);
  });

  it('a failing setup is reported with its output and the step is not marked set up', async () => {
    const failing = runner(newProgress('demo'), { runScript: async (script) => (guest.ran.push(script), { status: 2, timedOut: false, outputText: 'no space left\n' }) });
    failing.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    expect(failing.snapshot().problem).toBe("Step 1's setup failed (exit status 2): no space left");
    expect(saved.every((p) => p.stepsSetUp.length === 0)).toBe(true);
  });

  it('takes a checkpoint before the setup, and a restart restores it and runs the setup again after the reboot', async () => {
    const order: string[] = [];
    const lesson = runner(newProgress('demo'), {
      runScript: (script) => (order.push(script), guest.run(script)),
      takeCheckpoint: async (name) => (order.push(`checkpoint ${name}`), 'cp-1'),
      restoreCheckpoint: async (id) => void order.push(`restore ${id}`),
    });
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    expect(order.slice(0, 2)).toEqual(['checkpoint lab demo step 1', 'setup 1']);
    await lesson.restartStep();
    expect(order.at(-1)).toBe('restore cp-1');
    expect(lesson.snapshot().progress.stepsSetUp).toEqual([]);
    lesson.machineReady(); // the machine came back on the checkpoint
    await vi.advanceTimersByTimeAsync(0);
    expect(order.slice(-2)).toEqual(['setup 1', 'check 1']);
    expect(order.filter((entry) => entry.startsWith('checkpoint'))).toHaveLength(1);
  });

  it('without checkpoints, a restart runs the setup again at once', async () => {
    const lesson = runner();
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    await lesson.restartStep();
    await vi.advanceTimersByTimeAsync(0);
    expect(guest.ran.filter((s) => s === 'setup 1')).toHaveLength(2);
  });

  it('finishes when the last step passes', async () => {
    guest.done.add(1);
    guest.done.add(2);
    const lesson = runner();
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    await lesson.openStep(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(lesson.snapshot().finished).toBe(true);
    expect(lesson.report().finished).toBe(true);
  });

  it('a page check runs after the guest check, counts grewBy from the step’s start on this machine, and needs both to pass', async () => {
    const measures = { liveLeafBytes: 0, frozenLayers: 0, rootFetchedBytes: 10_000_000 };
    const [first] = lab.steps;
    const pageLab: LessonLab = {
      ...lab,
      steps: [{ ...first!, pageCheck: { conditions: [{ measure: 'rootFetchedBytes', comparison: 'grewBy', target: 8_000_000, failure: 'read the file ({value} so far)' }] } }],
    };
    const order: string[] = [];
    const lesson = runner(newProgress('demo'), {
      lab: pageLab,
      runScript: (script) => {
        order.push(script);
        return guest.run(script);
      },
      measureDisk: () => {
        order.push('measure');
        return { ...measures };
      },
    });
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    // The baseline is taken once the step is set up, and the page is measured after the guest check.
    expect(order).toEqual(['setup 1', 'measure', 'check 1', 'measure']);
    guest.done.add(1);
    measures.rootFetchedBytes += 5_000_000;
    await vi.advanceTimersByTimeAsync(5000);
    const status = lesson.snapshot().progress.steps[1];
    expect(status?.kind === 'failed' && status.feedback.failures).toEqual(['read the file (4.8 MiB so far)']);

    // A restarted machine measures again from its own boot: what it fetched before does not count.
    lesson.machineStopped();
    measures.rootFetchedBytes = 10_000_000;
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    measures.rootFetchedBytes += 8_000_000;
    expect((await lesson.checkNow()).kind).toBe('done');
  });

  it('a step opened while the previous step’s check still runs is set up once that check ends', async () => {
    let releaseCheck: (() => void) | undefined;
    const lesson = runner(newProgress('demo'), {
      runScript: (script) => {
        guest.ran.push(script);
        if (script !== 'check 1') return Promise.resolve({ status: script.startsWith('setup') ? 0 : 1, timedOut: false, outputText: '' });
        return new Promise<CheckRun>((resolve) => {
          releaseCheck = () => resolve({ status: 1, timedOut: false, outputText: 'FAIL: slow\n' });
        });
      },
    });
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(0);
    expect(guest.ran).toEqual(['setup 1', 'check 1']); // still running
    const opened = lesson.openStep(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(guest.ran).toEqual(['setup 1', 'check 1']);
    releaseCheck!();
    await opened;
    await vi.advanceTimersByTimeAsync(0);
    expect(guest.ran).toEqual(['setup 1', 'check 1', 'setup 2', 'check 2']);
    expect(lesson.snapshot().progress.stepsSetUp).toEqual([1, 2]);
  });

  it('never measures the disk for a step without a page check (whole-disk counts every 5 s would be wasted)', async () => {
    let measured = 0;
    const lesson = runner(newProgress('demo'), {
      measureDisk: () => {
        measured += 1;
        return { liveLeafBytes: 0, frozenLayers: 0, rootFetchedBytes: 0 };
      },
    });
    lesson.machineReady();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(guest.ran.filter((script) => script === 'check 1').length).toBeGreaterThan(1);
    expect(measured).toBe(0);
  });
});
