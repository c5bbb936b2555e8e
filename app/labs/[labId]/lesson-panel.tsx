'use client';

import Link from 'next/link';
import { useSyncExternalStore } from 'react';
import { hasCheck, type LessonLab } from '@/lib/lessons/lesson-lab';
import { statusOf, type StepStatus } from '@/lib/lessons/lesson-progress';
import type { LessonRunner, LessonSnapshot } from '@/lib/lessons/lesson-runner';
import { ErrorMessage } from '@/app/components/error-message';
import { bringBlockMapIntoView } from '@/app/lab/[imageId]/block-map';
import { StepMarkdown } from './step-markdown';

interface LessonPanelProps {
  lab: LessonLab;
  runner: LessonRunner | undefined;
  /** Types into the student's serial console; undefined while the machine is not at its prompt. */
  onRun: ((text: string) => void) | undefined;
  nextLab: { id: string; title: string } | undefined;
  progressNotice: string | undefined;
}

const NO_RUNNER = { subscribe: () => () => {}, snapshot: () => undefined };

const STATE_LABEL: Record<StepStatus['kind'], string> = { pending: 'not checked yet', failed: 'not done yet', done: 'done' };
const STATE_MARK: Record<StepStatus['kind'], string> = { pending: '○', failed: '✗', done: '✓' };

/** The lesson beside the machine: the steps, the open step's text, its check, hints and restart. */
export function LessonPanel({ lab, runner, onRun, nextLab, progressNotice }: LessonPanelProps) {
  const source = runner ?? NO_RUNNER;
  const lesson: LessonSnapshot | undefined = useSyncExternalStore(
    (listener) => source.subscribe(listener),
    () => source.snapshot(),
    () => undefined,
  );
  if (!runner || !lesson) {
    return (
      <section className="panel lesson" aria-labelledby="lesson-heading" data-testid="lesson">
        <h2 id="lesson-heading">{lab.title}</h2>
        {progressNotice ? <ErrorMessage message={progressNotice} /> : <p className="meta">Loading your progress…</p>}
      </section>
    );
  }
  const { progress } = lesson;
  const step = lab.steps[progress.currentStep - 1] ?? lab.steps[0]!;
  const status = statusOf(progress, step.number);
  const isLast = step.number === lab.steps.length;
  // A step whose check reads the disk through the page is about the block map: its commands bring it on screen.
  const runStep =
    onRun && step.pageCheck
      ? (text: string) => {
          onRun(text);
          bringBlockMapIntoView();
        }
      : onRun;

  return (
    <section className="panel lesson" aria-labelledby="lesson-heading" data-testid="lesson">
      <h2 id="lesson-heading">{lab.title}</h2>
      {progressNotice && <p className="meta">{progressNotice}</p>}
      <ol className="lesson-steps" aria-label="Steps">
        {lab.steps.map((s) => {
          const kind = statusOf(progress, s.number).kind;
          return (
            <li key={s.number} data-state={kind} data-testid={`lesson-step-${s.number}`}>
              <button type="button" aria-current={s.number === step.number ? 'step' : undefined} onClick={() => void runner.openStep(s.number)}>
                <span aria-hidden="true">{STATE_MARK[kind]}</span> {s.title}
                <span className="visually-hidden"> ({STATE_LABEL[kind]})</span>
              </button>
            </li>
          );
        })}
      </ol>

      {lesson.finished && (
        <div className="lesson-finished" role="status" data-testid="lesson-finished">
          <strong>You finished this lab.</strong> Every step&apos;s check passed.
          {nextLab ? (
            <>
              {' '}
              Next: <Link href={`/labs/${encodeURIComponent(nextLab.id)}`}>{nextLab.title}</Link>.
            </>
          ) : (
            <>
              {' '}
              <Link href="/">Back to the catalog</Link>.
            </>
          )}
        </div>
      )}

      <article className="lesson-step" data-testid="lesson-current-step" data-step={step.number}>
        <StepMarkdown markdown={step.markdown} onRun={runStep} />
      </article>

      {lesson.problem && <ErrorMessage message={lesson.problem} />}

      {hasCheck(step) ? (
        <div className="lesson-check" data-testid="lesson-check" data-state={status.kind} aria-live="polite">
          <p>
            <strong>{STATE_MARK[status.kind]} Step {step.number}: {STATE_LABEL[status.kind]}</strong>
            {lesson.activity === 'check' && <span className="meta"> · checking…</span>}
            {lesson.activity === 'setup' && <span className="meta"> · preparing the step in the machine…</span>}
            {!lesson.machineReady && <span className="meta"> · checks start when the machine is at its prompt</span>}
          </p>
          {status.kind === 'failed' && (
            <div data-testid="lesson-feedback">
              {status.feedback.failures.map((failure) => (
                <p key={failure}>{failure}</p>
              ))}
              {status.feedback.failures.length === 0 && status.feedback.output.trim() !== '' && <pre className="check-output">{status.feedback.output}</pre>}
            </div>
          )}
          {status.kind === 'done' && status.output.trim() !== '' && <pre className="check-output">{status.output}</pre>}
          <button type="button" disabled={!lesson.machineReady || status.kind === 'done'} onClick={() => void runner.checkNow()}>
            Check now
          </button>
        </div>
      ) : (
        <p className="meta">This step has no check: read it, try it, and go on when you are ready.</p>
      )}

      {(step.hints.length > 0 || (status.kind === 'failed' && status.feedback.hints.length > 0)) && (
        <div className="lesson-hints" data-testid="lesson-hints">
          {status.kind === 'failed' && status.feedback.hints.map((hint) => <p key={hint}>Hint: {hint}</p>)}
          {step.hints.slice(0, lesson.hintsShown).map((hint, index) => (
            <StepMarkdown key={index} markdown={hint} onRun={onRun} />
          ))}
          {lesson.hintsShown < step.hints.length && (
            <button type="button" onClick={() => runner.showNextHint()}>
              {lesson.hintsShown === 0 ? 'Show a hint' : 'Show another hint'}
            </button>
          )}
        </div>
      )}

      <div className="controls" role="group" aria-label="Step controls">
        <button
          type="button"
          className="danger"
          disabled={!lesson.machineReady || lesson.activity !== 'idle'}
          onClick={() => {
            const withCheckpoint = progress.stepCheckpoints[step.number] !== undefined;
            const question = withCheckpoint
              ? `Restart step ${step.number}? The disk returns to how it was when the step began (the machine restarts); what you did since is lost.`
              : `Restart step ${step.number}? Its setup runs again in the machine.`;
            if (window.confirm(question)) void runner.restartStep();
          }}
        >
          Restart this step
        </button>
        {!isLast && (
          <button type="button" disabled={status.kind !== 'done' && hasCheck(step)} onClick={() => void runner.openStep(step.number + 1)}>
            Next step
          </button>
        )}
      </div>
    </section>
  );
}
