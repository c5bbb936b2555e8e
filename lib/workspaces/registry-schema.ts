/** The workspace list's IndexedDB schema (see workspace-registry.ts and checkpoint-book.ts). */
import type { DBSchema } from 'idb';
import type { BootSettings } from '../images/manifest';
import type { CheckpointRecord, LayerRef } from './checkpoint-record';

export interface WorkspaceRecord {
  imageId: string;
  name: string;
  /**
   * The workspace's fixed identity (its lock, its entry). Also names its live leaf's database
   * until the first checkpoint freezes that leaf; from then on `leafId` does.
   */
  storageId: string;
  /** The live leaf's storage id, when it is not `storageId` (see `liveLeafId`). */
  leafId?: string;
  /** Frozen layers under the live leaf, bottom to top (none: directly on the root). */
  layers?: LayerRef[];
  /** The layers the workspace was made on (a share link's, a fork's): what "Reset disk" returns to. */
  baseLayers?: LayerRef[];
  /** Milliseconds since the epoch. */
  createdAt: number;
  lastUsedAt: number;
  /** The machine this workspace boots: memory, VGA memory, ACPI. */
  settings: BootSettings;
  /**
   * A lab's workspace: the student's progress through it (lib/lessons/lesson-progress.ts), kept
   * here so it goes wherever the disk goes (renamed, deleted with it). Stored as written and
   * checked when read (`parseStoredProgress`): another version of the page may have written it.
   */
  lessonProgress?: unknown;
}

/** A fresh storage id for a new leaf: never reused, whatever the workspace is called. */
export function newStorageId(): string {
  return `ws-${crypto.randomUUID()}`;
}

/** The database the workspace's live leaf is in. */
export function liveLeafId(record: Pick<WorkspaceRecord, 'storageId' | 'leafId'>): string {
  return record.leafId ?? record.storageId;
}

export interface RegistrySchema extends DBSchema {
  workspaces: {
    key: [string, string];
    value: WorkspaceRecord;
    indexes: { byImage: string; byStorage: [string, string] };
  };
  /** Frozen leaves (local checkpoints), by [imageId, id]. */
  checkpoints: {
    key: [string, string];
    value: CheckpointRecord;
    indexes: { byImage: string };
  };
}
