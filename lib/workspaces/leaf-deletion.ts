/**
 * Deleting a leaf's database, with the one outcome that is neither done nor failed: another
 * connection holds the leaf open. The browser then keeps the delete queued and finishes it
 * when that connection closes (nothing can open the leaf meanwhile), so the caller hears
 * "pending" at once and its promise resolves when the delete really completes.
 */
import { IdbLeafStore } from '../disk';

export interface LeafDeletionOptions {
  /** Told, with a notice for the user, when the delete waits for another connection. */
  onPending?: (notice: string) => void;
}

export interface LeafToDelete {
  imageId: string;
  storageId: string;
  /** The workspace's name (or the storage id of a leaf no workspace lists), for messages. */
  name: string;
  /** Injectable for tests; default the page's indexedDB. */
  indexedDB?: IDBFactory;
}

/** `what`: the action as a phrase, e.g. `resetting workspace "week-1"`. */
export function pendingDeletionNotice(what: string): string {
  return (
    `Pending: ${what} finishes when the other tab that has it open lets go. ` +
    'Close that tab (it may run an older Leaflab, or sit in the background); the browser then completes it by itself.'
  );
}

/** Deletes the leaf; the caller holds the workspace's lock. Resolves when the leaf is gone. */
export async function deleteLeafDatabase(leaf: LeafToDelete, what: string, options: LeafDeletionOptions = {}): Promise<void> {
  const store = new IdbLeafStore({ imageId: leaf.imageId, storageId: leaf.storageId, workspaceName: leaf.name, indexedDB: leaf.indexedDB });
  await store.destroy({ onBlocked: () => options.onPending?.(pendingDeletionNotice(what)) });
}
