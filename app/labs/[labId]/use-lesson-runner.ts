'use client';

import { useEffect, useRef, useState, type RefObject } from 'react';
import type { LessonAutomation } from '@/lib/lab/automation-hook';
import type { LabSession, LabStatus } from '@/lib/lab/lab-session';
import type { LessonLab } from '@/lib/lessons/lesson-lab';
import { measureDisk } from '@/lib/lessons/disk-measures';
import { newProgress, parseStoredProgress } from '@/lib/lessons/lesson-progress';
import { LessonRunner } from '@/lib/lessons/lesson-runner';
import { withWorkspaceRegistry, type WorkspaceRecord } from '@/lib/workspaces';

interface UseLessonRunnerOptions {
  lab: LessonLab;
  workspace: WorkspaceRecord | undefined;
  session: LabSession | undefined;
  status: LabStatus;
  /** Returns the disk to a checkpoint and restarts the machine on it (no confirmation). */
  restoreCheckpoint(id: string): Promise<void>;
  /** Where `window.leaflab.lesson()` and `check()` find the runner. */
  automationRef: RefObject<LessonAutomation | undefined>;
}

/**
 * One LessonRunner per lab workspace, alive across machine restarts (a restore makes a new
 * LabSession, the lesson goes on): it reaches the current session through a ref, and hears when
 * the guest is at its prompt. Its progress starts from what the workspace stored.
 */
export function useLessonRunner({ lab, workspace, session, status, restoreCheckpoint, automationRef }: UseLessonRunnerOptions): { runner: LessonRunner | undefined; progressNotice: string | undefined } {
  const sessionRef = useRef(session);
  const restoreRef = useRef(restoreCheckpoint);
  useEffect(() => {
    sessionRef.current = session;
    restoreRef.current = restoreCheckpoint;
  });
  const [lesson, setLesson] = useState<{ runner: LessonRunner | undefined; progressNotice: string | undefined }>();
  const imageId = workspace?.imageId;
  const storageId = workspace?.storageId;

  useEffect(() => {
    if (imageId === undefined || storageId === undefined) return;
    let cancelled = false;
    let created: LessonRunner | undefined;
    const currentSession = () => {
      const current = sessionRef.current;
      if (!current) throw new Error('The machine is not running.');
      return current;
    };
    // Read again rather than taken from the record the page holds: another tab of this lab may
    // have saved progress since that record was read.
    void withWorkspaceRegistry((registry) => registry.getByStorage(imageId, storageId))
      .then((record) => {
        if (cancelled) return;
        const stored = record?.lessonProgress;
        const progress = parseStoredProgress(stored, lab.id, lab.steps.length);
        created = new LessonRunner({
          lab,
          progress: progress ?? newProgress(lab.id),
          runScript: (script, timeLimitSeconds) => currentSession().agent.run(script, { timeLimitSeconds }),
          save: (saved) => withWorkspaceRegistry((registry) => registry.saveLessonProgress(imageId, storageId, saved)),
          takeCheckpoint: async (name) => {
            // The guest's page cache is written out first: the checkpoint holds what the guest wrote.
            await currentSession().agent.run('sync', { timeLimitSeconds: 60 });
            return (await currentSession().saveCheckpoint(name)).checkpoint.id;
          },
          restoreCheckpoint: (id) => restoreRef.current(id),
          measureDisk: () => {
            const device = sessionRef.current?.disk?.device;
            return device ? measureDisk(device) : undefined;
          },
        });
        const runner = created;
        automationRef.current = {
          report: () => runner.report(),
          check: async () => {
            await runner.checkNow();
            return runner.report();
          },
        };
        const progressNotice =
          stored !== undefined && !progress ? 'The progress saved in this workspace is from another version of this lab; the lab starts again from step 1.' : undefined;
        setLesson({ runner, progressNotice });
      })
      .catch((error: unknown) => {
        if (!cancelled) setLesson({ runner: undefined, progressNotice: `Your progress in this lab cannot be read: ${(error as Error).message}` });
      });
    return () => {
      cancelled = true;
      automationRef.current = undefined;
      created?.dispose();
    };
  }, [lab, imageId, storageId, automationRef]);

  const runner = lesson?.runner;
  useEffect(() => {
    if (!runner) return;
    if (status === 'running') runner.machineReady();
    else runner.machineStopped();
  }, [runner, session, status]);

  return { runner, progressNotice: lesson?.progressNotice };
}
