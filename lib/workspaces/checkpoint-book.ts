/**
 * Checkpoints in the workspace list's database: each change is ONE transaction over the
 * workspaces and checkpoints stores, so a workspace never names a layer that is not recorded
 * and a checkpoint is never deleted while anything stacks it. Following idb's rule, nothing
 * but the transaction's own requests is awaited between its start and its end; a refusal
 * aborts it, so nothing changes.
 *
 * Deleting a checkpoint that a workspace or a later checkpoint stacks is REFUSED, not merged
 * down: merging would rewrite a frozen layer that other disks read (in other tabs, now) and
 * cost a copy of its blocks, while refusing keeps every layer immutable and the rule simple —
 * delete or restore past the users first; the message names them.
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { stacks, type CheckpointRecord } from './checkpoint-record';
import type { BootSettings } from '../images/manifest';
import { unavailable, WorkspaceRegistryError } from './registry-error';
import { liveLeafId, newStorageId, type RegistrySchema, type WorkspaceRecord } from './registry-schema';
import { assertWorkspaceName } from './workspace-name';

type BookTransaction = IDBPTransaction<RegistrySchema, ['workspaces', 'checkpoints'], 'readwrite'>;

export class CheckpointBook {
  constructor(private readonly db: IDBPDatabase<RegistrySchema>) {}

  /** The image's checkpoints, oldest first. */
  async list(imageId: string): Promise<CheckpointRecord[]> {
    try {
      const records = await this.db.getAllFromIndex('checkpoints', 'byImage', imageId);
      return records.sort((a, b) => a.createdAt - b.createdAt);
    } catch (error) {
      throw unavailable(error, 'listing checkpoints');
    }
  }

  async get(imageId: string, id: string): Promise<CheckpointRecord | undefined> {
    try {
      return await this.db.get('checkpoints', [imageId, id]);
    } catch (error) {
      throw unavailable(error, 'reading a checkpoint');
    }
  }

  /**
   * Records `checkpoint` (the workspace's live leaf, just frozen) and moves the workspace onto
   * a new live leaf, `nextLeafId`, on top of it. Refused if the workspace changed meanwhile.
   */
  recordFrozenLeaf(checkpoint: CheckpointRecord, nextLeafId: string): Promise<WorkspaceRecord> {
    return this.change(`saving checkpoint "${checkpoint.name}"`, async (tx, refuse) => {
      const workspace = await tx.objectStore('workspaces').index('byStorage').get([checkpoint.imageId, checkpoint.madeInStorageId]);
      if (!workspace) return refuse('missing', `Workspace "${checkpoint.madeInName}" was deleted meanwhile (in another tab?).`);
      const below = checkpoint.layers.slice(0, -1);
      if (liveLeafId(workspace) !== checkpoint.id || JSON.stringify(workspace.layers ?? []) !== JSON.stringify(below)) {
        return refuse('in-use', `Workspace "${workspace.name}" changed in another tab meanwhile; reload and save the checkpoint again.`);
      }
      const updated: WorkspaceRecord = { ...workspace, leafId: nextLeafId, layers: checkpoint.layers };
      await tx.objectStore('checkpoints').add(checkpoint);
      await tx.objectStore('workspaces').put(updated);
      return updated;
    });
  }

  /**
   * Puts the workspace's disk on checkpoint `id`'s chain. The caller has discarded the live
   * leaf first (under the workspace's lock), so the next boot is exactly the checkpoint.
   */
  restore(imageId: string, workspaceStorageId: string, id: string): Promise<WorkspaceRecord> {
    return this.change('restoring a checkpoint', async (tx, refuse) => {
      const [workspace, checkpoint] = await Promise.all([
        tx.objectStore('workspaces').index('byStorage').get([imageId, workspaceStorageId]),
        tx.objectStore('checkpoints').get([imageId, id]),
      ]);
      if (!workspace) return refuse('missing', 'The workspace was deleted meanwhile (in another tab?).');
      if (!checkpoint) return refuse('missing', 'That checkpoint was deleted meanwhile (in another tab?).');
      const updated: WorkspaceRecord = { ...workspace, layers: checkpoint.layers };
      await tx.objectStore('workspaces').put(updated);
      return updated;
    });
  }

  /**
   * A new workspace `name` on checkpoint `id`'s chain (shared, not copied), in the same
   * transaction that finds the checkpoint, so a delete in another tab cannot slip in between.
   */
  fork(imageId: string, id: string, name: string, settings: BootSettings, nowMs = Date.now()): Promise<WorkspaceRecord> {
    assertWorkspaceName(name);
    return this.change(`making workspace "${name}"`, async (tx, refuse) => {
      const checkpoint = await tx.objectStore('checkpoints').get([imageId, id]);
      if (!checkpoint) return refuse('missing', 'That checkpoint was deleted meanwhile (in another tab?).');
      if (await tx.objectStore('workspaces').get([imageId, name])) {
        return refuse('exists', `A workspace named "${name}" already exists for this image. Choose another name.`);
      }
      const record: WorkspaceRecord = {
        imageId,
        name,
        storageId: newStorageId(),
        createdAt: nowMs,
        lastUsedAt: nowMs,
        settings: { ...settings },
        layers: checkpoint.layers,
        baseLayers: checkpoint.layers,
      };
      await tx.objectStore('workspaces').add(record);
      return record;
    });
  }

  /** Back to the layers the workspace was made on ("Reset disk"); the caller discarded the live leaf. */
  resetToBase(imageId: string, workspaceStorageId: string): Promise<WorkspaceRecord | undefined> {
    return this.change('resetting the disk', async (tx) => {
      const workspace = await tx.objectStore('workspaces').index('byStorage').get([imageId, workspaceStorageId]);
      if (!workspace || JSON.stringify(workspace.layers ?? []) === JSON.stringify(workspace.baseLayers ?? [])) return workspace;
      const updated: WorkspaceRecord = { ...workspace, layers: workspace.baseLayers ?? [] };
      await tx.objectStore('workspaces').put(updated);
      return updated;
    });
  }

  /** Notes that checkpoint `id` was published as `publishedId`. */
  markPublished(imageId: string, id: string, publishedId: string): Promise<void> {
    return this.change('noting a published checkpoint', async (tx) => {
      const checkpoint = await tx.objectStore('checkpoints').get([imageId, id]);
      if (checkpoint) await tx.objectStore('checkpoints').put({ ...checkpoint, publishedId });
    });
  }

  /**
   * Forgets checkpoint `id`, refused (kind 'in-use') while a workspace or another checkpoint
   * stacks it. The caller then deletes its leaf database, under its lock.
   */
  remove(imageId: string, id: string): Promise<CheckpointRecord> {
    return this.change('deleting a checkpoint', async (tx, refuse) => {
      const checkpoint = await tx.objectStore('checkpoints').get([imageId, id]);
      if (!checkpoint) return refuse('missing', 'That checkpoint was deleted meanwhile (in another tab?).');
      const [workspaces, checkpoints] = await Promise.all([
        tx.objectStore('workspaces').index('byImage').getAll(imageId),
        tx.objectStore('checkpoints').index('byImage').getAll(imageId),
      ]);
      const users = [
        ...workspaces.filter((w) => stacks(w.layers, id) || stacks(w.baseLayers, id)).map((w) => `workspace "${w.name}"`),
        ...checkpoints.filter((c) => c.id !== id && stacks(c.layers, id)).map((c) => `checkpoint "${c.name}"`),
      ];
      if (users.length > 0) {
        return refuse(
          'in-use',
          `Checkpoint "${checkpoint.name}" cannot be deleted: ${users.join(', ')} ${users.length === 1 ? 'is' : 'are'} built on it, ` +
            'and layers are never rewritten under a disk that reads them. Delete those first, or restore them to an earlier checkpoint.',
        );
      }
      await tx.objectStore('checkpoints').delete([imageId, id]);
      return checkpoint;
    });
  }

  private async change<T>(
    action: string,
    work: (tx: BookTransaction, refuse: (kind: WorkspaceRegistryError['kind'], message: string) => Promise<never>) => Promise<T>,
  ): Promise<T> {
    let tx: BookTransaction;
    try {
      tx = this.db.transaction(['workspaces', 'checkpoints'], 'readwrite');
    } catch (error) {
      throw unavailable(error, action);
    }
    const refuse = async (kind: WorkspaceRegistryError['kind'], message: string): Promise<never> => {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw new WorkspaceRegistryError(kind, message);
    };
    try {
      const result = await work(tx, refuse);
      await tx.done;
      return result;
    } catch (error) {
      throw unavailable(error, action);
    }
  }
}
