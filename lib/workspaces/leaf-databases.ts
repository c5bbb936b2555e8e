/**
 * The leaf databases that exist in this browser, as `indexedDB.databases()` reports them:
 * `leaflab-leaf:<imageId>:<storageId>` (lib/disk/idb-leaf-store.ts names them). The registry
 * says which workspace owns each; these functions only say what is there.
 */
import { leafDatabaseName, measureLeafStore, type LeafUsage } from '../disk';

/** The storage id of the leaf labs used before workspaces existed (one per image). */
export const LEGACY_STORAGE_ID = 'default';

export interface LeafDatabaseRef {
  imageId: string;
  storageId: string;
  databaseName: string;
}

/** `leaflab-leaf:` (the name of a leaf with empty ids, less the separator between them). */
const LEAF_DATABASE_PREFIX = leafDatabaseName('', '').slice(0, -1);

/** The image and storage id a leaf database's name holds; undefined for any other database. */
export function parseLeafDatabaseName(databaseName: string): LeafDatabaseRef | undefined {
  if (!databaseName.startsWith(LEAF_DATABASE_PREFIX)) return undefined;
  // Image ids and storage ids hold no ':' (IMAGE_ID_PATTERN, `ws-<uuid>`, "default").
  const [imageId, storageId, ...rest] = databaseName.slice(LEAF_DATABASE_PREFIX.length).split(':');
  if (!imageId || !storageId || rest.length > 0) return undefined;
  if (leafDatabaseName(imageId, storageId) !== databaseName) return undefined;
  return { imageId, storageId, databaseName };
}

/** Whether the browser can list its databases (every current engine; not some older ones). */
export function canListDatabases(factory: IDBFactory): boolean {
  return typeof factory.databases === 'function';
}

/** The image's leaf databases (every image's without `imageId`); [] where they cannot be listed. */
export async function listLeafDatabases(factory: IDBFactory, imageId?: string): Promise<LeafDatabaseRef[]> {
  if (!canListDatabases(factory)) return [];
  const infos = await factory.databases();
  return infos.flatMap((info) => {
    const ref = info.name === undefined ? undefined : parseLeafDatabaseName(info.name);
    return ref && (imageId === undefined || ref.imageId === imageId) ? [ref] : [];
  });
}

/** Whether the leaf's database exists; undefined where the browser cannot tell. */
export async function leafDatabaseExists(factory: IDBFactory, imageId: string, storageId: string): Promise<boolean | undefined> {
  if (!canListDatabases(factory)) return undefined;
  const databaseName = leafDatabaseName(imageId, storageId);
  return (await factory.databases()).some((info) => info.name === databaseName);
}

/** What a leaf stores; undefined when it cannot be measured (e.g. storage unavailable). */
export function leafUsageOrUnknown(leaf: { imageId: string; storageId: string }): Promise<LeafUsage | undefined> {
  return measureLeafStore({ imageId: leaf.imageId, storageId: leaf.storageId }).catch(() => undefined);
}
