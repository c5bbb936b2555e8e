/**
 * The frozen layers of the disk's chain as the block map names and draws them: for each, its
 * number from the bottom, id, kind, a label for people (the owner's, e.g. a checkpoint's name,
 * else a short default), its colour and its cell code and character. Built once per layer set
 * (a checkpoint adds a layer on top, a restore replaces the chain), never per cell or frame.
 */
import type { FrozenLayerKind } from '../disk/frozen-layer';
import { layerCellChar, layerCellCode } from './cell-state';
import { chainLayerColor } from './palette';

/** What the map needs to know of a frozen layer; `FrozenLayer` satisfies it. */
export interface ChainLayerRef {
  readonly id: string;
  readonly kind: FrozenLayerKind;
}

/** A label for a layer id (e.g. the checkpoint's name); undefined falls back to the default label. */
export type LayerLabeler = (layerId: string) => string | undefined;

export interface BlockMapLayer {
  /** Bottom (on the root) = 1. */
  number: number;
  id: string;
  kind: FrozenLayerKind;
  label: string;
  color: string;
  /** Its cells' code in `BlockMapModel.cellStates`. */
  code: number;
  /** Its cells' character in a snapshot's `cells`. */
  char: string;
}

/** Checkpoint ids are "cp-<uuid>"-like (8 characters tell them apart); published ones are 64 hex digits. */
const CHECKPOINT_ID_SHOWN = 8;
const PUBLISHED_ID_SHOWN = 12;

export function defaultLayerLabel(layer: ChainLayerRef): string {
  if (layer.kind === 'checkpoint') return `checkpoint ${layer.id.slice(0, CHECKPOINT_ID_SHOWN)}`;
  const shortId = layer.id.slice(0, PUBLISHED_ID_SHOWN);
  return `published ${shortId}${layer.id.length > PUBLISHED_ID_SHOWN ? '…' : ''}`;
}

/** The map's view of a chain, bottom to top. */
export function describeChainLayers(layers: readonly ChainLayerRef[], labelOf?: LayerLabeler): BlockMapLayer[] {
  return layers.map((layer, index) => {
    const number = index + 1;
    return {
      number,
      id: layer.id,
      kind: layer.kind,
      label: labelOf?.(layer.id) ?? defaultLayerLabel(layer),
      color: chainLayerColor(number),
      code: layerCellCode(number),
      char: layerCellChar(number),
    };
  });
}

/** Whether two chains hold the same layers in the same order (a new array for the same chain is no change). */
export function sameChain(a: readonly ChainLayerRef[], b: readonly ChainLayerRef[]): boolean {
  return a.length === b.length && a.every((layer, index) => layer.id === b[index]?.id && layer.kind === b[index]?.kind);
}

/**
 * The chain a map was last drawn with, and its names. `sync` takes the device's chain as it is
 * now: the device hands out one array per chain, so an unchanged chain costs one comparison.
 */
export class ChainLayersSeen {
  private seen: readonly ChainLayerRef[];
  private described: readonly BlockMapLayer[];

  constructor(
    layers: readonly ChainLayerRef[],
    private labelOf: LayerLabeler | undefined,
  ) {
    this.seen = layers;
    this.described = describeChainLayers(layers, labelOf);
  }

  /** The chain the map is drawn with, bottom to top. */
  get layers(): readonly BlockMapLayer[] {
    return this.described;
  }

  /** Whether `layers` may differ from the chain seen (cheap: an identity check). */
  differsFrom(layers: readonly ChainLayerRef[]): boolean {
    return layers !== this.seen;
  }

  /** Takes `layers` as the chain seen; whether they differ from the last ones. */
  sync(layers: readonly ChainLayerRef[]): boolean {
    if (layers === this.seen) return false;
    const before = this.seen;
    this.seen = layers;
    if (sameChain(before, layers)) return false;
    this.described = describeChainLayers(layers, this.labelOf);
    return true;
  }

  /** `layers` described, without taking them as the chain seen (for counts taken now while the map is paused). */
  describe(layers: readonly ChainLayerRef[]): readonly BlockMapLayer[] {
    return layers === this.seen || sameChain(this.seen, layers) ? this.described : describeChainLayers(layers, this.labelOf);
  }

  relabel(labelOf: LayerLabeler | undefined): void {
    this.labelOf = labelOf;
    this.described = describeChainLayers(this.seen, labelOf);
  }
}
