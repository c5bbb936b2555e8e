/**
 * What the workspace list keeps about layers: which frozen layers a workspace's disk stacks
 * (`LayerRef`), and each local checkpoint (`CheckpointRecord`). The layers' data lives
 * elsewhere: a checkpoint in its own leaf database (lib/disk/idb-leaf-store.ts), a published
 * layer on the lab server.
 */
import type { FrozenLayerKind } from '../disk/frozen-layer';

export interface LayerRef {
  kind: FrozenLayerKind;
  /** A checkpoint's storage id, or a published layer's 64-hex id. */
  id: string;
}

export interface CheckpointRecord {
  imageId: string;
  /** The storage id of the frozen leaf (its database keeps that name). */
  id: string;
  name: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The chain the checkpoint restores: the layers below it, then itself (bottom to top). */
  layers: LayerRef[];
  /** The workspace (storage id) it was made in, and that workspace's name then, for lists. */
  madeInStorageId: string;
  madeInName: string;
  /** Bytes the frozen leaf stores (its blocks), measured when it was made. */
  sizeBytes: number;
  /** The published layer made from it, once published (same content, on the server). */
  publishedId?: string;
}

/** Whether `layers` stacks layer `id`. */
export function stacks(layers: readonly LayerRef[] | undefined, id: string): boolean {
  return (layers ?? []).some((layer) => layer.id === id);
}
