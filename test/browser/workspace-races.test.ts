/**
 * Workspace races on Chromium's real IndexedDB and Web Locks (Vitest browser mode): a delete
 * racing an open never leaves a leaf database that no workspace lists, whatever the timing;
 * and a leaf delete that another connection blocks is pending, then done, never failed.
 */
import { describe, expect, it } from 'vitest';
import { IdbLeafStore, leafDatabaseName, measureLeafStore } from '@/lib/disk/idb-leaf-store';
import {
  claimWorkspace,
  deleteWorkspace,
  discardWorkspaceChanges,
  findUnlistedLeaves,
  holdWorkspaceLock,
  WorkspaceDeletedError,
  WorkspaceRegistry,
  withWorkspaceRegistry,
  workspacesInUse,
  type WorkspaceRecord,
} from '@/lib/workspaces';
import { leafBlockCount, SETTINGS, writeLeaf } from '../unit/workspaces/leaf-fixtures';

let imageCounter = 0;
/** A fresh image id per case: its workspaces and leaves are its own. */
function freshImageId(): string {
  return `race-${Date.now().toString(36)}-${(imageCounter += 1)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function leafDatabaseNames(imageId: string): Promise<string[]> {
  return (await indexedDB.databases()).flatMap(({ name }) => (name?.startsWith(leafDatabaseName(imageId, '')) ? [name] : []));
}

/** Every leaf database of the image that no workspace lists (what must stay empty). */
function orphansOf(imageId: string): Promise<string[]> {
  return withWorkspaceRegistry(async (registry) => (await findUnlistedLeaves(registry, imageId)).map((leaf) => leaf.databaseName));
}

type OpenOutcome = 'opened-before-delete' | 'refused-deleted' | 'opened-new-workspace';

/**
 * What a lab does for `?ws=<name>`: resolve the workspace (creating it if the link names none),
 * then claim its leaf and open it as the union disk would, write, and close a moment later.
 */
async function openLikeALab(imageId: string, name: string, original: WorkspaceRecord, delays: { claimMs: number; holdMs: number }): Promise<OpenOutcome> {
  const { record } = await withWorkspaceRegistry((registry) => registry.openOrCreate(imageId, name, SETTINGS));
  await sleep(delays.claimMs);
  let release: () => void;
  try {
    release = await claimWorkspace(imageId, record.storageId, record.name);
  } catch (error) {
    if (error instanceof WorkspaceDeletedError) return 'refused-deleted';
    throw error;
  }
  try {
    const store = new IdbLeafStore({ imageId, storageId: record.storageId, workspaceName: record.name });
    await store.open();
    await store.writeBlocks([{ blockIndex: 7, data: new Uint8Array(1024).fill(7), validSectors: Uint8Array.of(1) }]);
    await sleep(delays.holdMs);
    store.close();
  } finally {
    release();
  }
  return record.storageId === original.storageId ? 'opened-before-delete' : 'opened-new-workspace';
}

/**
 * Start offsets and gaps (milliseconds) for run `run`, in three sweeps so that each order
 * happens: the lab claims before the delete starts; the lab resolves the workspace, then the
 * delete runs, then the lab claims (the window where the old code lost a leaf); the delete
 * finishes before the lab looks.
 */
function timingOf(run: number) {
  const step = Math.floor(run / 3);
  switch (run % 3) {
    case 0:
      return { openStartMs: 0, delays: { claimMs: 0, holdMs: step % 5 }, deleteStartMs: 15 + (step % 10) };
    case 1:
      return { openStartMs: 0, delays: { claimMs: 8 + (step % 12), holdMs: 0 }, deleteStartMs: step % 5 };
    default:
      return { openStartMs: 10 + (step % 9), delays: { claimMs: step % 3, holdMs: step % 2 }, deleteStartMs: step % 4 };
  }
}

describe('a delete racing an open', () => {
  it('is refused under the lock when the workspace was deleted after the lab resolved it, and leaves no database', async () => {
    const imageId = freshImageId();
    const registry = await WorkspaceRegistry.open();
    const record = await registry.create(imageId, 'x', SETTINGS);
    await writeLeaf(imageId, record.storageId, 2);
    // The interleaving that used to leave an orphan: the lab resolves "x", another tab deletes
    // it, and only then does the lab get to the lock.
    const { record: resolved } = await registry.openOrCreate(imageId, 'x', SETTINGS);
    await deleteWorkspace(registry, record);
    await expect(claimWorkspace(imageId, resolved.storageId, resolved.name)).rejects.toBeInstanceOf(WorkspaceDeletedError);
    expect(await leafDatabaseNames(imageId)).toEqual([]);

    // The same interleaving with the lock alone (no look at the registry) does recreate the
    // leaf, and orphan detection sees it: the check below is one that can fail.
    const naive = await registry.create(imageId, 'y', SETTINGS);
    const { record: naiveResolved } = await registry.openOrCreate(imageId, 'y', SETTINGS);
    await deleteWorkspace(registry, naive);
    const release = await holdWorkspaceLock(imageId, naiveResolved.storageId, 'y');
    const store = new IdbLeafStore({ imageId, storageId: naiveResolved.storageId });
    await store.open();
    store.close();
    release();
    expect(await orphansOf(imageId)).toEqual([leafDatabaseName(imageId, naive.storageId)]);
    await new IdbLeafStore({ imageId, storageId: naive.storageId }).destroy();
    registry.close();
  });

  it('never leaves a leaf database that no workspace lists, over 60 runs with varied timing', async () => {
    const outcomes: Record<OpenOutcome, number> = { 'opened-before-delete': 0, 'refused-deleted': 0, 'opened-new-workspace': 0 };
    const registry = await WorkspaceRegistry.open();
    for (let run = 0; run < 60; run += 1) {
      const imageId = freshImageId();
      const record = await registry.create(imageId, 'x', SETTINGS);
      await writeLeaf(imageId, record.storageId, 3);
      const { deleteStartMs, openStartMs, delays } = timingOf(run);
      const measureStartMs = (run * 2) % 13;
      const [opened, deleted] = await Promise.allSettled([
        sleep(openStartMs).then(() => openLikeALab(imageId, 'x', record, delays)),
        sleep(deleteStartMs).then(() => deleteWorkspace(registry, record)),
        // The workspace panel measures every few seconds, in this tab or another one.
        sleep(measureStartMs).then(() => measureLeafStore({ imageId, storageId: record.storageId })),
      ]);
      if (opened.status === 'rejected') throw opened.reason;
      if (deleted.status === 'rejected') throw deleted.reason;
      outcomes[opened.value] += 1;

      expect(await orphansOf(imageId), `run ${run} (${opened.value})`).toEqual([]);
      // What is left is exactly the listed workspaces' leaves: none, or the new "x" a late link made.
      const listed = await registry.list(imageId);
      expect(listed.map((r) => r.storageId)).not.toContain(record.storageId);
      expect(await leafDatabaseNames(imageId)).toEqual(listed.map((r) => leafDatabaseName(imageId, r.storageId)));
      for (const left of listed) await deleteWorkspace(registry, left);
    }
    registry.close();
    // The sweep hit the window the old code lost a leaf in, and both plain orders too.
    expect(outcomes['refused-deleted'], JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes['opened-before-delete'], JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes['opened-new-workspace'], JSON.stringify(outcomes)).toBeGreaterThan(0);
  });

  it('a measurement racing a delete never recreates the leaf', async () => {
    for (let run = 0; run < 40; run += 1) {
      const imageId = freshImageId();
      await writeLeaf(imageId, 'w', 1);
      await Promise.all([
        measureLeafStore({ imageId, storageId: 'w' }),
        sleep(run % 4).then(() => new IdbLeafStore({ imageId, storageId: 'w' }).destroy()),
      ]);
      expect(await leafDatabaseNames(imageId), `run ${run}`).toEqual([]);
    }
  });
});

/** A connection that does not let go when asked (a tab of an older Leaflab, a frozen tab). */
async function holdStubbornConnection(databaseName: string): Promise<IDBDatabase> {
  const request = indexedDB.open(databaseName);
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Records when a promise settles, without awaiting it. */
function watch(promise: Promise<void>) {
  const state = { settled: false as boolean, error: undefined as unknown };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('a reset or delete blocked by another connection', () => {
  it('reports a blocked reset as pending, holds the workspace meanwhile, and completes when the other connection lets go', async () => {
    const imageId = freshImageId();
    const record = await withWorkspaceRegistry((registry) => registry.create(imageId, 'x', SETTINGS));
    await writeLeaf(imageId, record.storageId, 2);
    const other = await holdStubbornConnection(leafDatabaseName(imageId, record.storageId));

    const notices: string[] = [];
    const reset = watch(discardWorkspaceChanges(record, { onPending: (notice) => notices.push(notice) }));
    await waitFor(() => notices.length > 0, 'the pending notice');
    expect(notices).toEqual([expect.stringMatching(/^Pending: resetting workspace "x" finishes when the other tab that has it open lets go/)]);
    await sleep(300);
    expect(reset).toEqual({ settled: false, error: undefined }); // pending: neither done nor failed
    expect(await workspacesInUse(imageId)).toContain(record.storageId); // no lab can open it halfway

    other.close();
    await waitFor(() => reset.settled, 'the reset to complete');
    expect(reset.error).toBeUndefined();
    expect(await leafDatabaseNames(imageId)).toEqual([]);
    expect(await workspacesInUse(imageId)).not.toContain(record.storageId);
    expect(notices).toHaveLength(1);
  });

  it('keeps a blocked delete’s workspace listed until its leaf is gone, then removes both', async () => {
    const imageId = freshImageId();
    const registry = await WorkspaceRegistry.open();
    const record = await registry.create(imageId, 'x', SETTINGS);
    await writeLeaf(imageId, record.storageId, 2);
    const other = await holdStubbornConnection(leafDatabaseName(imageId, record.storageId));

    const notices: string[] = [];
    const deletion = watch(deleteWorkspace(registry, record, { onPending: (notice) => notices.push(notice) }));
    await waitFor(() => notices.length > 0, 'the pending notice');
    expect(notices[0]).toMatch(/^Pending: deleting workspace "x"/);
    await sleep(300);
    expect(deletion.settled).toBe(false);
    expect(await registry.getByStorage(imageId, record.storageId)).toMatchObject({ name: 'x' });
    // A lab opening it now waits for the lock, then gives up with the busy message; it never opens it.
    await expect(claimWorkspace(imageId, record.storageId, 'x')).rejects.toThrow(/open in another tab/);

    other.close();
    await waitFor(() => deletion.settled, 'the delete to complete');
    expect(deletion.error).toBeUndefined();
    expect(await registry.getByStorage(imageId, record.storageId)).toBeUndefined();
    expect(await leafDatabaseNames(imageId)).toEqual([]);
    registry.close();
  });

  it('is not pending when the other connection lets go at once (a lab of this version), nor when nothing holds the leaf', async () => {
    const imageId = freshImageId();
    const record = await withWorkspaceRegistry((registry) => registry.create(imageId, 'x', SETTINGS));
    await writeLeaf(imageId, record.storageId, 1);
    const politeTab = new IdbLeafStore({ imageId, storageId: record.storageId });
    await politeTab.open(); // closes on versionchange
    const notices: string[] = [];
    await discardWorkspaceChanges(record, { onPending: (notice) => notices.push(notice) });
    expect(notices).toEqual([]);
    expect(await leafBlockCount(imageId, record.storageId)).toBe(0);
    await discardWorkspaceChanges(record, { onPending: (notice) => notices.push(notice) });
    expect(notices).toEqual([]);
    expect(await leafDatabaseNames(imageId)).toEqual([]);
  });
});
