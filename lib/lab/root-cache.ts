/**
 * The page's one persistent root chunk cache (lib/disk/root-chunk-cache-idb.ts), shared by the
 * union disk, which reads through it (the root image's chunks and the published layers' bodies),
 * and the Storage panel, which shows, limits and clears it.
 */
import type { PublishedImage } from '../images/manifest';
import { layerChunkKey, rootChunkImageKey, type RootChunkCache, type RootChunkStore } from '../disk/root-chunk-cache';
import { IdbRootChunkStore } from '../disk/root-chunk-cache-idb';

let store: IdbRootChunkStore | undefined;

/** The browser's root chunk store (one IndexedDB connection per page). */
export function browserRootChunkStore(): RootChunkStore {
  store ??= new IdbRootChunkStore();
  return store;
}

/** False when the page's query turns the root cache off (`rootcache=0`, for roots and layers alike: for comparisons and debugging). */
export function rootCacheWanted(search: string): boolean {
  return new URLSearchParams(search).get('rootcache') !== '0';
}

/**
 * The image's view of the store, or undefined where there is no IndexedDB or the page's query
 * says `rootcache=0` (the disk then reads only over the network).
 */
export function openRootChunkCache(image: Pick<PublishedImage, 'sha256' | 'chunkSizeBytes'>): Promise<RootChunkCache | undefined> {
  return openSourceCache(rootChunkImageKey(image));
}

/**
 * A published layer's body in the same store (same budget, same LRU, same switch), so a shared
 * environment opened once boots again without fetching its layers, and offline.
 */
export function openLayerChunkCache(layer: { id: string; chunkSizeBytes: number }): Promise<RootChunkCache | undefined> {
  return openSourceCache(layerChunkKey(layer));
}

async function openSourceCache(sourceKey: string): Promise<RootChunkCache | undefined> {
  if (typeof indexedDB === 'undefined' || !rootCacheWanted(location.search)) return undefined;
  return browserRootChunkStore().forSource(sourceKey);
}

const MIB = 1024 * 1024;

/** A budget typed in MiB (the Storage panel's field), in bytes; or why it cannot be one. */
export function parseBudgetMiB(text: string): { budgetBytes: number } | { problem: string } {
  const mib = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(mib) || mib < 0) return { problem: 'Give the budget as a number of MiB, 0 or more (0 turns the cache off).' };
  return { budgetBytes: Math.round(mib * MIB) };
}
