/**
 * `window.leaflab`: the lab page's automation interface, used by the e2e tests, the benchmark
 * and people scripting labs. Kept small and stable; it reads the same state the page shows.
 */
import type { BlockMapSnapshot } from '../blockmap';
import type { SectorLayer } from '../disk';
import { withWorkspaceRegistry } from '../workspaces/workspace-registry';
import type { LessonReport } from '../lessons/lesson-progress';
import type { DiskStats, LabSession, LabSnapshot, LabStatus } from './lab-session';

/** What a lesson page adds to the hook (`lesson()`, `check()`); the page keeps it across machine restarts. */
export interface LessonAutomation {
  report(): LessonReport;
  /** Runs the open step's check now; resolves with the lesson's state after it. */
  check(): Promise<LessonReport>;
}

/** A checkpoint as `checkpoints()` lists it. */
export interface CheckpointSummary {
  id: string;
  name: string;
  /** When it was saved, in milliseconds since the epoch. */
  time: number;
  /** What its frozen leaf stores. */
  bytes: number;
  /** The workspace it was saved in. */
  workspace: string;
  /** The share link's layer id, once published. */
  publishedId: string | undefined;
}

/** What the page does for the hook: actions that replace the machine or leave this page's state. */
export interface LabActions {
  /** Returns the disk to checkpoint `id` (after no confirmation) and restarts the machine on it. */
  restore(id: string): Promise<void>;
  /** Makes workspace `workspaceName` on checkpoint `id`'s layers (shared, not copied). */
  fork(id: string, workspaceName: string): Promise<void>;
  /** Publishes checkpoint `id` (and any unpublished checkpoints below it); resolves to the share link. */
  publish(id: string): Promise<string>;
  /** The disk as the guest sees it now, as a file. */
  exportDisk(format: 'raw' | 'qcow2'): Promise<Blob>;
}

export interface LeaflabHook {
  readonly imageId: string;
  /** The workspace this machine's disk belongs to: its name and the storage id of its leaf. */
  readonly workspace: { name: string; storageId: string };
  readonly status: LabStatus;
  snapshot(): LabSnapshot;
  /** Everything the serial console printed so far (UTF-8 decoded). */
  serialOutput(): string;
  /** Types text into the serial console, as if typed in the terminal ("\n" is Enter). */
  sendSerial(text: string): void;
  /** Text currently on the VGA screen. */
  screenText(): string;
  stats(): DiskStats;
  /**
   * The id of the layer that serves a sector now: the live leaf's or a frozen layer's id (a
   * checkpoint's storage id, a published layer's 64-hex id), 'zero' (an all-zero root chunk)
   * or 'root'. Undefined until a union disk is open.
   */
  layerOf(sector: number): string | undefined;
  /**
   * What kind of layer serves a sector now: 'leaf', 'pending' (written, being saved), 'frozen'
   * (a checkpoint or published layer), 'zero', 'root-cached' (fetched) or 'root' (not fetched).
   */
  sectorLayer(sector: number): SectorLayer | undefined;
  /** Saves a checkpoint of the running disk; resolves to its id. */
  checkpoint(name: string): Promise<string>;
  /** The image's checkpoints in this browser, oldest first. */
  checkpoints(): Promise<CheckpointSummary[]>;
  restore(id: string): Promise<void>;
  fork(id: string, workspaceName: string): Promise<void>;
  publish(id: string): Promise<string>;
  exportDisk(format: 'raw' | 'qcow2'): Promise<Blob>;
  /** The block map as drawn (cells, view, partitions), or undefined without a union disk. */
  blockMap(): BlockMapSnapshot | undefined;
  /** The map cell that shows `sector` in the current view, if it is in view. */
  blockMapCellOf(sector: number): number | undefined;
  /** On a lesson page (/labs/<id>): the lab id, the open step and each step's state. */
  lesson?(): LessonReport;
  /** On a lesson page: runs the open step's check now. */
  check?(): Promise<LessonReport>;
}

declare global {
  interface Window {
    leaflab?: LeaflabHook;
  }
}

/** `lesson`: a lesson page's part (read each call: the page sets it once its lesson runs). */
export function installAutomationHook(session: LabSession, actions: LabActions, lesson?: { readonly current: LessonAutomation | undefined }): () => void {
  const hook: LeaflabHook = {
    imageId: session.image.id,
    workspace: { ...session.options.workspace },
    get status() {
      return session.snapshot().status;
    },
    snapshot: () => session.snapshot(),
    serialOutput: () => session.serial.all(),
    sendSerial: (text) => session.sendSerial(text),
    screenText: () => session.screenText(),
    stats: () => session.stats(),
    layerOf: (sector) => session.disk?.device?.layerIdOfSector(sector),
    sectorLayer: (sector) => session.blockMap?.layerOf(sector),
    checkpoint: async (name) => (await session.saveCheckpoint(name)).checkpoint.id,
    checkpoints: async () => {
      const records = await withWorkspaceRegistry((registry) => registry.checkpoints.list(session.image.id));
      return records.map((record) => ({
        id: record.id,
        name: record.name,
        time: record.createdAt,
        bytes: record.sizeBytes,
        workspace: record.madeInName,
        publishedId: record.publishedId,
      }));
    },
    restore: (id) => actions.restore(id),
    fork: (id, workspaceName) => actions.fork(id, workspaceName),
    publish: (id) => actions.publish(id),
    exportDisk: (format) => actions.exportDisk(format),
    blockMap: () => session.blockMap?.snapshot(),
    blockMapCellOf: (sector) => session.blockMap?.cellOfSector(sector),
  };
  if (lesson) {
    const running = () => {
      if (!lesson.current) throw new Error('The lesson is still loading its progress; try again in a moment.');
      return lesson.current;
    };
    hook.lesson = () => running().report();
    hook.check = () => running().check();
  }
  window.leaflab = hook;
  return () => {
    if (window.leaflab === hook) delete window.leaflab;
  };
}
