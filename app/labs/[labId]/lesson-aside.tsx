'use client';

import type { RefObject } from 'react';
import type { LessonAutomation } from '@/lib/lab/automation-hook';
import type { LabSession, LabStatus } from '@/lib/lab/lab-session';
import type { LessonLab } from '@/lib/lessons/lesson-lab';
import type { WorkspaceRecord } from '@/lib/workspaces';
import { LessonPanel } from './lesson-panel';
import { useLessonRunner } from './use-lesson-runner';

/** What the lab page needs to run a lesson beside its machine. */
export interface LessonSetup {
  lab: LessonLab;
  /** The lab offered once this one is finished. */
  nextLab: { id: string; title: string } | undefined;
}

interface LessonAsideProps extends LessonSetup {
  workspace: WorkspaceRecord | undefined;
  session: LabSession | undefined;
  status: LabStatus;
  restoreCheckpoint(id: string): Promise<void>;
  automationRef: RefObject<LessonAutomation | undefined>;
}

/** The lab page's side panel on /labs/<id>: the lesson, run against the page's machine. */
export function LessonAside({ lab, nextLab, workspace, session, status, restoreCheckpoint, automationRef }: LessonAsideProps) {
  const { runner, progressNotice } = useLessonRunner({ lab, workspace, session, status, restoreCheckpoint, automationRef });
  const onRun = status === 'running' && session ? (text: string) => session.sendSerial(text) : undefined;
  return <LessonPanel lab={lab} runner={runner} onRun={onRun} nextLab={nextLab} progressNotice={progressNotice} />;
}
