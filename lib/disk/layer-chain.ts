/**
 * The frozen layers under the live leaf, flattened once into a per-sector index: for every
 * sector of the disk, which layer of the chain holds its newest frozen bytes (0: none, the
 * root serves it). A read then finds its layer in O(1) — one array lookup — however long the
 * chain, instead of asking each layer in turn; opening costs one pass over the layers' sector
 * maps (bitmap bytes, skipping empty ones), bottom to top so that upper layers win.
 *
 * The chain is checked as it is flattened: every layer is bound to the same root as the disk,
 * names the layer below it as its parent, and has the disk's block size. Anything else is
 * refused with a message, never mixed (design invariant 3).
 */
import type { FrozenLayer } from './frozen-layer';
import { sameRoot } from './leaf-binding';
import { SECTOR_SIZE_BYTES, type RootIdentity } from './leaf-store';
import { bitmapByteLength } from './sector-bitmap';

/** At most this many frozen layers in one chain (the index stores a layer number per sector in a byte). */
export const MAX_CHAIN_LAYERS = 255;

export class LayerChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerChainError';
  }
}

export class LayerChain {
  /** Bottom (on the root) to top (under the live leaf). Layer number k is `layers[k - 1]`. */
  readonly layers: readonly FrozenLayer[];
  /** Sectors each layer serves (not hidden by a layer above it), by layer number − 1. */
  readonly servedSectors: number[];
  /** sector → layer number (0 = none of the chain's layers). */
  private readonly sectorLayer: Uint8Array;

  private constructor(layers: readonly FrozenLayer[], sectorLayer: Uint8Array, servedSectors: number[]) {
    this.layers = layers;
    this.sectorLayer = sectorLayer;
    this.servedSectors = servedSectors;
  }

  /**
   * No layers: the index stays empty (a byte per sector is 4 MiB for a 2 GiB disk, which a
   * disk without frozen layers, the usual case, never needs); the first layer allocates it.
   */
  static empty(): LayerChain {
    return new LayerChain([], new Uint8Array(0), []);
  }

  /**
   * Checks and flattens `layers` (bottom to top) for a disk of `root` with blocks of
   * `blockSizeBytes`. Throws LayerChainError naming the layer at fault.
   */
  static flatten(layers: readonly FrozenLayer[], root: RootIdentity, blockSizeBytes: number): LayerChain {
    let chain = LayerChain.empty();
    for (const layer of layers) chain = chain.withLayerOnTop(layer, root, blockSizeBytes);
    return chain;
  }

  /** The id of the top layer (the live leaf's parent), or undefined for an empty chain. */
  get topId(): string | undefined {
    return this.layers[this.layers.length - 1]?.id;
  }

  /** 0 when no frozen layer holds the sector, else its layer number (1 = bottom). */
  layerAt(sector: number): number {
    // Asked for every sector read: no out-of-bounds look into the empty index of a chain without layers.
    return this.layers.length === 0 ? 0 : (this.sectorLayer[sector] ?? 0);
  }

  layerNumbered(layerNumber: number): FrozenLayer {
    const layer = this.layers[layerNumber - 1];
    if (!layer) throw new RangeError(`LayerChain: no layer number ${layerNumber} in a chain of ${this.layers.length}`);
    return layer;
  }

  /**
   * This chain with `layer` frozen on top: the index is copied and updated with the new
   * layer's sectors only (a checkpoint costs one pass over the frozen leaf's map, not the chain's).
   */
  withLayerOnTop(layer: FrozenLayer, root: RootIdentity, blockSizeBytes: number): LayerChain {
    this.assertFits(layer, root, blockSizeBytes);
    const layerNumber = this.layers.length + 1;
    const sectorCount = root.sizeBytes / SECTOR_SIZE_BYTES;
    const sectorLayer = this.layers.length === 0 ? new Uint8Array(sectorCount) : this.sectorLayer.slice();
    const servedSectors = [...this.servedSectors, 0];
    const sectorsPerBlock = blockSizeBytes / SECTOR_SIZE_BYTES;
    const bitmapBytes = bitmapByteLength(sectorsPerBlock);
    const blockCount = Math.ceil(sectorLayer.length / sectorsPerBlock);
    for (const [blockIndex, bitmap] of layer.sectorMap) {
      if (!Number.isSafeInteger(blockIndex) || blockIndex < 0 || blockIndex >= blockCount || bitmap.length !== bitmapBytes) {
        throw new LayerChainError(`Layer ${describeLayer(layer)} is damaged: its sector map names block ${blockIndex} wrongly.`);
      }
      const blockFirstSector = blockIndex * sectorsPerBlock;
      for (let byteIndex = 0; byteIndex < bitmapBytes; byteIndex += 1) {
        const bits = bitmap[byteIndex] ?? 0;
        if (bits === 0) continue;
        for (let bit = 0; bit < 8; bit += 1) {
          if (((bits >> bit) & 1) === 0) continue;
          const sector = blockFirstSector + byteIndex * 8 + bit;
          if (sector >= sectorLayer.length) continue; // past the disk's end in its last block
          const below = sectorLayer[sector] ?? 0;
          if (below !== 0) servedSectors[below - 1] = (servedSectors[below - 1] ?? 0) - 1;
          sectorLayer[sector] = layerNumber;
          servedSectors[layerNumber - 1] = (servedSectors[layerNumber - 1] ?? 0) + 1;
        }
      }
    }
    return new LayerChain([...this.layers, layer], sectorLayer, servedSectors);
  }

  close(): void {
    for (const layer of this.layers) layer.close();
  }

  private assertFits(layer: FrozenLayer, root: RootIdentity, blockSizeBytes: number): void {
    if (this.layers.length >= MAX_CHAIN_LAYERS) {
      throw new LayerChainError(`A disk can stack at most ${MAX_CHAIN_LAYERS} layers; delete or merge some checkpoints first.`);
    }
    if (!sameRoot(layer.root, root)) {
      throw new LayerChainError(
        `Layer ${describeLayer(layer)} was made on image "${layer.root.id}" (sha256 ${layer.root.sha256.slice(0, 12)}…), ` +
          `not on "${root.id}" (sha256 ${root.sha256.slice(0, 12)}…) served now, so Leaflab will not stack it on this image.`,
      );
    }
    if (layer.parentId !== this.topId) {
      throw new LayerChainError(
        `Layer ${describeLayer(layer)} was made on top of ${layer.parentId ? `layer ${layer.parentId}` : 'the bare image'}, ` +
          `but here it would lie on ${this.topId ? `layer ${this.topId}` : 'the bare image'}; its changes only make sense on its own parent.`,
      );
    }
    // An empty layer stores no block, so its block size cannot clash (see union-device.ts).
    if (layer.blockSizeBytes !== blockSizeBytes && layer.sectorMap.size > 0) {
      throw new LayerChainError(`Layer ${describeLayer(layer)} has ${layer.blockSizeBytes}-byte blocks; this disk uses ${blockSizeBytes}-byte blocks.`);
    }
  }
}

function describeLayer(layer: FrozenLayer): string {
  return `${layer.kind === 'published' ? 'published layer' : 'checkpoint'} ${layer.id}`;
}
