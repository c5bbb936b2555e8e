/**
 * The browser's list of workspaces: for each image, the workspaces a user made, their machine
 * settings, when each was last used, and the storage id of its leaf (the IndexedDB database
 * `leaflab-leaf:<imageId>:<storageId>`, see lib/disk/idb-leaf-store.ts).
 *
 * Names and storage ids are separate so that a rename is one small transaction here and never
 * copies a leaf, and so that a new workspace never inherits the data of a deleted one with the
 * same name: every new leaf gets a fresh random storage id, whatever its name, so any
 * workspace (`default` too) can be renamed and its name reused at once.
 *
 * Storage id "default" is the one id not made here: labs before workspaces existed kept their
 * disk in `leaflab-leaf:<imageId>:default`. Such a leaf, found with no entry, becomes the
 * default workspace when a plain link first opens it (`openOrCreate`); a registry entry that
 * already names it keeps it under whatever name it has now.
 */
import { wrap, type IDBPDatabase } from 'idb';
import type { BootSettings } from '../images/manifest';
import { CheckpointBook } from './checkpoint-book';
import type { LayerRef } from './checkpoint-record';
import { unavailable, WorkspaceRegistryError } from './registry-error';
import { liveLeafId, newStorageId, type RegistrySchema, type WorkspaceRecord } from './registry-schema';

export { liveLeafId, WorkspaceRegistryError };
export type { RegistrySchema, WorkspaceRecord };
import { LEGACY_STORAGE_ID, leafDatabaseExists } from './leaf-databases';
import { assertWorkspaceName, DEFAULT_WORKSPACE_NAME, firstFreeWorkspaceName } from './workspace-name';

export const REGISTRY_DATABASE_NAME = 'leaflab-workspaces';
/** 2: checkpoints (workspaces gained optional layers; version-1 entries read as having none). */
const REGISTRY_VERSION = 2;


/** The name an adopted leaf gets when the one it asks for is taken. */
const ADOPTED_NAME_PREFIX = 'recovered';

export class WorkspaceRegistry {
  private constructor(
    private readonly db: IDBPDatabase<RegistrySchema>,
    /** The IndexedDB the registry and the leaves live in. */
    readonly factory: IDBFactory,
  ) {}

  /** Opens the registry (`factory`: injectable for tests; default the page's indexedDB). */
  static async open(factory?: IDBFactory): Promise<WorkspaceRegistry> {
    const idbFactory = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!idbFactory) {
      throw new WorkspaceRegistryError(
        'unavailable',
        'This browser offers no IndexedDB (private browsing or disabled site data?), so workspaces cannot be saved.',
      );
    }
    try {
      // idb's openDB always uses the global factory; open through the given one and wrap it.
      const request = idbFactory.open(REGISTRY_DATABASE_NAME, REGISTRY_VERSION);
      request.addEventListener('upgradeneeded', (event) => {
        if (event.oldVersion < 1) {
          const store = request.result.createObjectStore('workspaces', { keyPath: ['imageId', 'name'] });
          store.createIndex('byImage', 'imageId');
          store.createIndex('byStorage', ['imageId', 'storageId'], { unique: true });
        }
        if (event.oldVersion < 2) {
          const checkpoints = request.result.createObjectStore('checkpoints', { keyPath: ['imageId', 'id'] });
          checkpoints.createIndex('byImage', 'imageId');
        }
      });
      const db = (await wrap(request)) as unknown as IDBPDatabase<RegistrySchema>;
      // A newer Leaflab in another tab wants to upgrade: let go instead of blocking it.
      db.addEventListener('versionchange', () => db.close());
      return new WorkspaceRegistry(db, idbFactory);
    } catch (error) {
      throw unavailable(error, 'opening the list of workspaces');
    }
  }

  close(): void {
    this.db.close();
  }

  /** Checkpoints: made, listed, restored, forked and deleted in this same database. */
  get checkpoints(): CheckpointBook {
    return new CheckpointBook(this.db);
  }

  /** The image's workspaces, most recently used first. */
  async list(imageId: string): Promise<WorkspaceRecord[]> {
    try {
      const records = await this.db.getAllFromIndex('workspaces', 'byImage', imageId);
      return records.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
    } catch (error) {
      throw unavailable(error, 'listing workspaces');
    }
  }

  async listAll(): Promise<WorkspaceRecord[]> {
    try {
      return await this.db.getAll('workspaces');
    } catch (error) {
      throw unavailable(error, 'listing workspaces');
    }
  }

  async get(imageId: string, name: string): Promise<WorkspaceRecord | undefined> {
    try {
      return await this.db.get('workspaces', [imageId, name]);
    } catch (error) {
      throw unavailable(error, `reading workspace "${name}"`);
    }
  }

  /** The entry whose leaf is `storageId`, under whatever name it has now. */
  async getByStorage(imageId: string, storageId: string): Promise<WorkspaceRecord | undefined> {
    try {
      return await this.db.getFromIndex('workspaces', 'byStorage', [imageId, storageId]);
    } catch (error) {
      throw unavailable(error, 'looking up a workspace');
    }
  }

  /**
   * The workspace a lab link names, created on first use (a link such as `?ws=week-1` that an
   * instructor hands out makes the student's workspace). Marks it as used now. A new `default`
   * takes over a leaf from before workspaces existed (storage id "default") if one is there
   * and no entry lists it; any other new workspace gets a fresh storage id.
   */
  async openOrCreate(
    imageId: string,
    name: string,
    defaults: BootSettings,
    now = Date.now(),
    /** The layers a new workspace stacks (a lab's published environment); an existing one keeps its own. */
    layers: readonly LayerRef[] = [],
  ): Promise<{ record: WorkspaceRecord; created: boolean }> {
    assertWorkspaceName(name);
    try {
      // Looked up before the transaction (an await on anything else would end it); the
      // transaction checks again that no entry lists that leaf.
      const legacyLeafExists =
        name === DEFAULT_WORKSPACE_NAME && (await leafDatabaseExists(this.factory, imageId, LEGACY_STORAGE_ID)) === true;
      const tx = this.db.transaction('workspaces', 'readwrite');
      const existing = await tx.store.get([imageId, name]);
      if (existing) {
        await tx.done;
        return { record: await this.markUsed(existing, now), created: false };
      }
      const adoptLegacy = legacyLeafExists && (await tx.store.index('byStorage').getKey([imageId, LEGACY_STORAGE_ID])) === undefined;
      const storageId = adoptLegacy ? LEGACY_STORAGE_ID : newStorageId();
      const record: WorkspaceRecord = { imageId, name, storageId, createdAt: now, lastUsedAt: now, settings: { ...defaults } };
      if (layers.length > 0) Object.assign(record, { layers: [...layers], baseLayers: [...layers] });
      await tx.store.put(record);
      await tx.done;
      return { record, created: true };
    } catch (error) {
      throw unavailable(error, `opening workspace "${name}"`);
    }
  }

  /**
   * Records the last use. Only bookkeeping: when it cannot be saved (a full quota) the
   * workspace still opens with its earlier time, so a user can always reopen a workspace to
   * rescue it.
   */
  private async markUsed(record: WorkspaceRecord, now: number): Promise<WorkspaceRecord> {
    try {
      // Only over the same entry: a delete that ran in between must not be undone.
      const tx = this.db.transaction('workspaces', 'readwrite');
      const current = await tx.store.get([record.imageId, record.name]);
      const used = current?.storageId === record.storageId ? { ...current, lastUsedAt: now } : undefined;
      if (used) await tx.store.put(used);
      await tx.done;
      return used ?? record;
    } catch {
      return record;
    }
  }

  /**
   * A new workspace, on the pristine root or on `layers` (a share link's published chain, a
   * checkpoint's chain for a fork: shared, never copied); refused if the name is taken.
   */
  async create(imageId: string, name: string, settings: BootSettings, now = Date.now(), layers: readonly LayerRef[] = []): Promise<WorkspaceRecord> {
    assertWorkspaceName(name);
    const record: WorkspaceRecord = { imageId, name, storageId: newStorageId(), createdAt: now, lastUsedAt: now, settings: { ...settings } };
    if (layers.length > 0) Object.assign(record, { layers: [...layers], baseLayers: [...layers] });
    try {
      // add() fails on an existing key (ConstraintError) within the same transaction: no race
      // with another tab creating the same name.
      await this.db.add('workspaces', record);
      return record;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConstraintError') {
        throw new WorkspaceRegistryError('exists', `A workspace named "${name}" already exists for this image. Choose another name.`);
      }
      throw unavailable(error, `creating workspace "${name}"`);
    }
  }

  /** Renames in one transaction: the leaf (storage id) stays, only the name changes. */
  async rename(imageId: string, fromName: string, toName: string): Promise<WorkspaceRecord> {
    assertWorkspaceName(toName);
    let tx;
    try {
      tx = this.db.transaction('workspaces', 'readwrite');
    } catch (error) {
      throw unavailable(error, `renaming workspace "${fromName}"`);
    }
    // Only this transaction's own requests are awaited until it ends (idb's rule); a refusal
    // aborts it so nothing changes.
    const refuse = async (error: WorkspaceRegistryError): Promise<never> => {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw error;
    };
    try {
      const record = await tx.store.get([imageId, fromName]);
      if (!record) return await refuse(new WorkspaceRegistryError('missing', `There is no workspace "${fromName}" to rename.`));
      if (fromName === toName) {
        await tx.done;
        return record;
      }
      if (await tx.store.get([imageId, toName])) {
        return await refuse(new WorkspaceRegistryError('exists', `A workspace named "${toName}" already exists for this image. Choose another name.`));
      }
      const renamed = { ...record, name: toName };
      await tx.store.delete([imageId, fromName]);
      await tx.store.put(renamed);
      await tx.done;
      return renamed;
    } catch (error) {
      throw unavailable(error, `renaming workspace "${fromName}"`);
    }
  }

  async updateSettings(imageId: string, name: string, settings: BootSettings): Promise<WorkspaceRecord> {
    try {
      const tx = this.db.transaction('workspaces', 'readwrite');
      const record = await tx.store.get([imageId, name]);
      if (!record) {
        tx.abort();
        await tx.done.catch(() => undefined);
        throw new WorkspaceRegistryError('missing', `There is no workspace "${name}"; it may have been deleted in another tab.`);
      }
      const updated = { ...record, settings: { ...settings } };
      await tx.store.put(updated);
      await tx.done;
      return updated;
    } catch (error) {
      throw unavailable(error, `saving the settings of workspace "${name}"`);
    }
  }

  /**
   * Stores a lab workspace's progress. By storage id: the student may rename the workspace in
   * another tab meanwhile, and the progress belongs to the disk, not to the name.
   */
  async saveLessonProgress(imageId: string, storageId: string, lessonProgress: unknown): Promise<void> {
    try {
      const tx = this.db.transaction('workspaces', 'readwrite');
      const record = await tx.store.index('byStorage').get([imageId, storageId]);
      if (!record) {
        tx.abort();
        await tx.done.catch(() => undefined);
        throw new WorkspaceRegistryError('missing', 'This lab\'s workspace is gone (deleted in another tab?): reload the page to start the lab again.');
      }
      await tx.store.put({ ...record, lessonProgress });
      await tx.done;
    } catch (error) {
      throw unavailable(error, 'saving your progress in the lab');
    }
  }

  /**
   * Forgets the workspace whose leaf is `storageId`; its leaf must be deleted first, under the
   * workspace's lock (see workspace-actions.ts). By storage id, not name: the name may have
   * been renamed meanwhile, or deleted and made again for another leaf, which must stay.
   */
  async remove(imageId: string, storageId: string): Promise<void> {
    try {
      const tx = this.db.transaction('workspaces', 'readwrite');
      const key = await tx.store.index('byStorage').getKey([imageId, storageId]);
      if (key !== undefined) await tx.store.delete(key);
      await tx.done;
    } catch (error) {
      throw unavailable(error, 'deleting a workspace');
    }
  }

  /**
   * Lists a leaf that no entry lists (see unlisted-leaves.ts) as a new workspace, named
   * `preferredName` if it is free, else `recovered-1`, `recovered-2`, …. Listing a leaf that
   * is already listed returns its entry unchanged.
   */
  async adopt(imageId: string, storageId: string, settings: BootSettings, preferredName?: string, now = Date.now()): Promise<WorkspaceRecord> {
    if (preferredName !== undefined) assertWorkspaceName(preferredName);
    try {
      const tx = this.db.transaction('workspaces', 'readwrite');
      const [listed, records] = await Promise.all([
        tx.store.index('byStorage').get([imageId, storageId]),
        tx.store.index('byImage').getAll(imageId),
      ]);
      if (listed) {
        await tx.done;
        return listed;
      }
      const taken = new Set(records.map((record) => record.name));
      const name = preferredName !== undefined && !taken.has(preferredName) ? preferredName : firstFreeWorkspaceName(ADOPTED_NAME_PREFIX, taken);
      const record: WorkspaceRecord = { imageId, name, storageId, createdAt: now, lastUsedAt: now, settings: { ...settings } };
      await tx.store.add(record);
      await tx.done;
      return record;
    } catch (error) {
      throw unavailable(error, 'listing a leftover disk as a workspace');
    }
  }
}

/** Opens the registry for one piece of work and closes it afterwards. */
export async function withWorkspaceRegistry<T>(work: (registry: WorkspaceRegistry) => Promise<T>): Promise<T> {
  const registry = await WorkspaceRegistry.open();
  try {
    return await work(registry);
  } finally {
    registry.close();
  }
}
