/**
 * Runs a lesson on a machine: a step's setup when the step starts, its check every few seconds
 * while the step is open and on demand, hints one at a time, and "Restart this step". Plain
 * TypeScript with no React and no DOM: the page gives it a way to run scripts in the guest (the
 * agent, lib/agent), to store progress with the workspace, and to take and restore checkpoints.
 *
 * Ordering: everything that touches the guest goes through `runScript`, which the agent runs one
 * request at a time, and the runner itself never starts a check while another of its scripts
 * runs (`busy`), so a periodic check can never interleave with a setup or a restart. Progress is
 * saved after every change that a reload must see (a step set up, a check's verdict, a
 * checkpoint taken), before the runner moves on.
 */
import type { PageCheck } from '../labs/page-check';
import type { DiskMeasures } from './disk-measures';
import { hasCheck, type LessonLab, type LessonStep } from './lesson-lab';
import { evaluatePageCheck, joinCheckRuns } from './page-check-run';
import {
  isFinished,
  lessonReport,
  openStep,
  statusOf,
  withCheckResult,
  withStepCheckpoint,
  withStepRestarted,
  withStepSetUp,
  type CheckRun,
  type LessonProgress,
  type LessonReport,
  type StepStatus,
} from './lesson-progress';

export interface LessonRunnerOptions {
  lab: LessonLab;
  /** Where the student was (stored with the workspace), or a new progress. */
  progress: LessonProgress;
  /** Runs `script` with sh in the guest, as root, killed after `timeLimitSeconds`. */
  runScript(script: string, timeLimitSeconds: number): Promise<CheckRun>;
  /** Stores the progress with the workspace; a rejection is shown, and the runner keeps going. */
  save(progress: LessonProgress): Promise<void>;
  /**
   * Checkpoints (the layers issue): `takeCheckpoint` freezes the disk as it is and returns the
   * checkpoint's id; `restoreCheckpoint` returns the disk to it and restarts the machine (the
   * runner waits for `machineReady` again). Without them, a restart only runs setup again.
   */
  takeCheckpoint?(name: string): Promise<string>;
  restoreCheckpoint?(id: string): Promise<void>;
  /** The running disk's measures, for steps with a page check; undefined while no disk is open. */
  measureDisk?(): DiskMeasures | undefined;
  now?(): number;
  /** How often an open, unfinished step is checked. Default 5 s. */
  checkIntervalMs?: number;
  /** A check's time limit in the guest. Default 20 s. */
  checkTimeLimitSeconds?: number;
  /** A setup's time limit in the guest. Default 120 s (setups may create files and start programs). */
  setupTimeLimitSeconds?: number;
}

export const LESSON_DEFAULTS = { checkIntervalMs: 5_000, checkTimeLimitSeconds: 20, setupTimeLimitSeconds: 120 } as const;

export interface LessonSnapshot {
  progress: LessonProgress;
  /** The machine is at its prompt and the runner may talk to the guest. */
  machineReady: boolean;
  /** What the runner is doing in the guest right now. */
  activity: 'idle' | 'setup' | 'check' | 'restart';
  /** How many of the current step's hints are shown. */
  hintsShown: number;
  /** Why the runner cannot do its work (no agent, a failed setup, a progress that cannot be saved). */
  problem: string | undefined;
  finished: boolean;
}

export class LessonRunner {
  private progress: LessonProgress;
  private machineIsReady = false;
  private activity: LessonSnapshot['activity'] = 'idle';
  private hintsShown = 0;
  private problem: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** The disk's measures when the open step began on this machine (page checks' `grewBy`). */
  private baseline: { stepNumber: number; measures: DiskMeasures | undefined } | undefined;
  private readonly listeners = new Set<() => void>();
  private current: LessonSnapshot;
  private readonly options: LessonRunnerOptions & { -readonly [K in keyof typeof LESSON_DEFAULTS]: number };

  constructor(options: LessonRunnerOptions) {
    // Field by field: an option given as undefined keeps its default.
    this.options = {
      ...options,
      checkIntervalMs: options.checkIntervalMs ?? LESSON_DEFAULTS.checkIntervalMs,
      checkTimeLimitSeconds: options.checkTimeLimitSeconds ?? LESSON_DEFAULTS.checkTimeLimitSeconds,
      setupTimeLimitSeconds: options.setupTimeLimitSeconds ?? LESSON_DEFAULTS.setupTimeLimitSeconds,
    };
    this.progress = options.progress;
    this.current = this.makeSnapshot();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The same object until something changes (for React's useSyncExternalStore). */
  snapshot(): LessonSnapshot {
    return this.current;
  }

  report(): LessonReport {
    return lessonReport(this.progress, this.options.lab.steps);
  }

  /** The guest is at its prompt (after a boot or a restart): set the open step up, then check it. */
  machineReady(): void {
    if (this.disposed) return;
    this.machineIsReady = true;
    this.changed();
    void this.beginStep();
  }

  /** The machine stopped or is restarting: no script can run until `machineReady`. */
  machineStopped(): void {
    this.machineIsReady = false;
    this.baseline = undefined;
    this.stopTimer();
    this.changed();
  }

  async openStep(stepNumber: number): Promise<void> {
    this.progress = openStep(this.progress, this.options.lab.steps.length, stepNumber);
    this.hintsShown = 0;
    this.changed();
    await this.persist();
    // A check or setup still running (of the step left) would make beginStep skip this one's
    // checkpoint and setup: wait for it, then begin the step the student has open now.
    await this.whenIdle();
    if (this.progress.currentStep === stepNumber) await this.beginStep();
  }

  showNextHint(): void {
    const step = this.step();
    if (this.hintsShown >= step.hints.length) return;
    this.hintsShown += 1;
    this.changed();
  }

  /** Runs the open step's check now (the "Check" button, `leaflab.check()`); resolves with its verdict. */
  async checkNow(): Promise<StepStatus> {
    const step = this.step();
    if (!hasCheck(step)) return statusOf(this.progress, step.number);
    await this.whenIdle();
    await this.runCheck(step);
    return statusOf(this.progress, step.number);
  }

  /**
   * "Restart this step": the disk goes back to the checkpoint taken when the step began (the
   * machine restarts on it), or, without checkpoints, only the setup runs again. The step and
   * every later one are pending again: their work is gone.
   */
  async restartStep(): Promise<void> {
    const step = this.step();
    await this.whenIdle();
    this.activity = 'restart';
    this.stopTimer();
    this.changed();
    try {
      const checkpointId = this.progress.stepCheckpoints[step.number];
      this.progress = withStepRestarted(this.progress, this.options.lab.steps.length, step.number);
      this.hintsShown = 0;
      this.baseline = undefined;
      await this.persist();
      if (checkpointId !== undefined && this.options.restoreCheckpoint) {
        this.machineIsReady = false;
        await this.options.restoreCheckpoint(checkpointId);
        // The machine restarts on the checkpoint; machineReady() runs the setup again.
        return;
      }
    } finally {
      this.activity = 'idle';
      this.changed();
    }
    await this.beginStep();
  }

  dispose(): void {
    this.disposed = true;
    this.stopTimer();
    // Listeners stay: a checkNow() still waiting for the script in flight must hear it end.
  }

  private step(): LessonStep {
    const step = this.options.lab.steps[this.progress.currentStep - 1];
    if (!step) throw new RangeError(`the lab has no step ${this.progress.currentStep}`);
    return step;
  }

  /** Takes the step's checkpoint and runs its setup, once per step and disk; then starts checking. */
  private async beginStep(): Promise<void> {
    const step = this.step();
    if (!this.machineIsReady || this.disposed || this.activity !== 'idle') return;
    if (statusOf(this.progress, step.number).kind !== 'done' && !this.progress.stepsSetUp.includes(step.number)) {
      this.activity = 'setup';
      this.changed();
      try {
        if (this.options.takeCheckpoint && this.progress.stepCheckpoints[step.number] === undefined) {
          const id = await this.options.takeCheckpoint(`lab ${this.options.lab.id} step ${step.number}`);
          this.progress = withStepCheckpoint(this.progress, step.number, id);
          await this.persist();
        }
        if (step.setup !== undefined) {
          const run = await this.options.runScript(step.setup, this.options.setupTimeLimitSeconds);
          if (run.status !== 0 || run.timedOut) {
            this.problem = `Step ${step.number}'s setup failed (${run.timedOut ? 'time limit' : `exit status ${run.status}`}): ${run.outputText.trim().slice(-500)}`;
            return;
          }
        }
        this.progress = withStepSetUp(this.progress, step.number);
        this.problem = undefined;
        await this.persist();
      } catch (error) {
        this.problem = (error as Error).message;
        return;
      } finally {
        this.activity = 'idle';
        this.changed();
      }
    }
    if (step.pageCheck && this.baseline?.stepNumber !== step.number) this.baseline = { stepNumber: step.number, measures: this.options.measureDisk?.() };
    this.scheduleCheck(0);
  }

  private scheduleCheck(delayMs: number): void {
    this.stopTimer();
    const step = this.step();
    if (this.disposed || !this.machineIsReady || !hasCheck(step) || statusOf(this.progress, step.number).kind === 'done') return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.activity !== 'idle') return this.scheduleCheck(this.options.checkIntervalMs);
      void this.runCheck(step);
    }, delayMs);
  }

  private async runCheck(step: LessonStep): Promise<void> {
    if (!hasCheck(step) || !this.machineIsReady) return;
    this.activity = 'check';
    this.changed();
    try {
      const guest = step.check === undefined ? undefined : await this.options.runScript(step.check, this.options.checkTimeLimitSeconds);
      const run = joinCheckRuns(guest, step.pageCheck && this.runPageCheck(step.number, step.pageCheck));
      // The student may have moved to another step meanwhile: the verdict is still this step's.
      this.progress = withCheckResult(this.progress, this.options.lab.steps.length, step.number, run, (this.options.now ?? Date.now)());
      this.problem = undefined;
      await this.persist();
    } catch (error) {
      this.problem = (error as Error).message;
    } finally {
      this.activity = 'idle';
      this.changed();
    }
    if (step.number === this.progress.currentStep && this.problem === undefined) this.scheduleCheck(this.options.checkIntervalMs);
  }

  /**
   * Measures the disk (whole-disk counts: only for steps that have a page check) after the
   * guest's check, so what that check waited for (a sync) is in the figures. A step checked
   * before its baseline was taken (it began while the machine was away) starts its baseline
   * now: its `grewBy` counts from here, never from zero.
   */
  private runPageCheck(stepNumber: number, pageCheck: PageCheck): CheckRun {
    const measures = this.options.measureDisk?.();
    if (this.baseline?.stepNumber !== stepNumber) this.baseline = { stepNumber, measures };
    return evaluatePageCheck(pageCheck, measures, this.baseline.measures);
  }

  private async whenIdle(): Promise<void> {
    while (this.activity !== 'idle') {
      await new Promise<void>((resolve) => {
        const unsubscribe = this.subscribe(() => {
          if (this.activity !== 'idle') return;
          unsubscribe();
          resolve();
        });
      });
    }
  }

  private async persist(): Promise<void> {
    try {
      await this.options.save(this.progress);
    } catch (error) {
      this.problem = `Your progress could not be saved: ${(error as Error).message}`;
      this.changed();
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private makeSnapshot(): LessonSnapshot {
    return {
      progress: this.progress,
      machineReady: this.machineIsReady,
      activity: this.activity,
      hintsShown: this.hintsShown,
      problem: this.problem,
      finished: isFinished(this.progress, this.options.lab.steps.length),
    };
  }

  private changed(): void {
    this.current = this.makeSnapshot();
    for (const listener of [...this.listeners]) listener();
  }
}
