/**
 * The process's one layer store, shared by server.ts (uploads and serving) and Next's pages
 * (the lab page's lookup of a shared layer). Next bundles pages apart from server.ts, so the
 * store lives on globalThis under a Symbol.for key, created by whichever module asks first.
 * A root can carry layers when the verified catalog holds exactly that content.
 */
import type { RootIdentity } from '../../disk/leaf-store';
import { catalogService } from '../catalog-service';
import { maxLayerBytesFromEnv, objectStoreFromEnv } from './layer-store-config';
import { LayerStore, type PublishedLayerLookup } from './layer-store';

export function catalogRootProblem(root: RootIdentity): string | undefined {
  const entry = catalogService().current().entries.get(root.id);
  if (!entry) return `The root image "${root.id}" is not in this server's catalog.`;
  const { sha256, sizeBytes } = entry.manifest;
  if (sha256 !== root.sha256 || sizeBytes !== root.sizeBytes)
    return `The root image "${root.id}" here is ${sizeBytes} bytes with sha256 ${sha256}, not the ${root.sizeBytes} bytes with sha256 ${root.sha256} the layer was made on.`;
  return undefined;
}

const SERVICE_KEY = Symbol.for('leaflab.layerStore');

export function layerService(): LayerStore {
  const holder = globalThis as unknown as Record<symbol, LayerStore | undefined>;
  return (holder[SERVICE_KEY] ??= new LayerStore(objectStoreFromEnv(), maxLayerBytesFromEnv(), catalogRootProblem));
}

/** For the lab page: a published layer's descriptor and its chain of ids, bottom → top. */
export function describePublishedLayer(id: string): Promise<PublishedLayerLookup> {
  return layerService().describePublishedLayer(id);
}
