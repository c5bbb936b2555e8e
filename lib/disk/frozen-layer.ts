/**
 * A frozen layer of a disk's chain (root ← published layers ← local checkpoints ← live leaf):
 * immutable once made, bound to the root it was made on and to the layer below it. Local
 * checkpoints (a frozen leaf in IndexedDB) and published layers (read over HTTP Range from the
 * lab server) both look like this to the union device, which flattens the sector maps of its
 * whole chain into one index when it opens (never asking layer after layer on a read).
 */
import type { RootIdentity } from './leaf-store';

export type FrozenLayerKind = 'checkpoint' | 'published';

export interface FrozenLayer {
  /** A local checkpoint: its storage id ("cp-<uuid>" or "ws-<uuid>"). Published: the 64-hex layer id. */
  readonly id: string;
  readonly kind: FrozenLayerKind;
  /** The layer directly below; undefined when the layer lies directly on the root. */
  readonly parentId: string | undefined;
  /** The root image the layer was made on; a chain is only ever read over this exact root. */
  readonly root: RootIdentity;
  /** Block size of the layer's sector map (every layer of a chain has the same). */
  readonly blockSizeBytes: number;
  /** blockIndex → bitmap of the block's sectors this layer holds (sector-bitmap.ts layout). */
  readonly sectorMap: ReadonlyMap<number, Uint8Array>;
  /**
   * Whole blocks (`blockSizeBytes` each) of the given indices, every one of which is in
   * `sectorMap`; bytes of sectors the bitmap does not mark are unspecified.
   */
  readBlocks(blockIndices: readonly number[], signal?: AbortSignal): Promise<Map<number, Uint8Array>>;
  close(): void;
}
