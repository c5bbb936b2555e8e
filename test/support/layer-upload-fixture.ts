/**
 * What an uploader sends, computed in the test from a body's bytes (with node:crypto, not the
 * publisher's code), so that tests can also send bodies the publisher would never make.
 */
import { createHash } from 'node:crypto';
import type { RootIdentity } from '../../lib/disk/leaf-store';
import { layerBodyChunks } from '../../lib/layers/layer-body';
import { encodeDescriptor, LAYER_CHUNK_SIZE_BYTES, LAYER_FORMAT, LAYER_FORMAT_VERSION } from '../../lib/layers/layer-format';
import { canonicalBlockIndices } from '../../lib/layers/layer-index';
import type { FrozenLayer } from '../../lib/disk/frozen-layer';

export interface UploadFixture {
  id: string;
  descriptorBytes: Uint8Array;
  chunkTable: Uint8Array;
  chunks: Uint8Array[];
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The whole canonical body of `layer` (small test layers only). */
export async function canonicalBody(layer: FrozenLayer): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const chunk of layerBodyChunks(layer, canonicalBlockIndices(layer.sectorMap))) pieces.push(chunk.slice());
  return new Uint8Array(Buffer.concat(pieces));
}

export function uploadOf(body: Uint8Array, fields: { root: RootIdentity; parent: string | null; blockSizeBytes: number; blockCount: number }): UploadFixture {
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < body.length; start += LAYER_CHUNK_SIZE_BYTES) chunks.push(body.slice(start, start + LAYER_CHUNK_SIZE_BYTES));
  const chunkTable = new Uint8Array(Buffer.concat(chunks.map(sha256)));
  const descriptorBytes = encodeDescriptor({
    format: LAYER_FORMAT,
    version: LAYER_FORMAT_VERSION,
    root: fields.root,
    parent: fields.parent,
    blockSizeBytes: fields.blockSizeBytes,
    blockCount: fields.blockCount,
    body: { sizeBytes: body.length, chunkSizeBytes: LAYER_CHUNK_SIZE_BYTES, chunkDigestsSha256: sha256(chunkTable).toString('hex') },
  });
  return { id: sha256(descriptorBytes).toString('hex'), descriptorBytes, chunkTable, chunks };
}

export async function uploadOfLayer(layer: FrozenLayer, parent: string | null): Promise<UploadFixture> {
  const body = await canonicalBody(layer);
  return uploadOf(body, { root: layer.root, parent, blockSizeBytes: layer.blockSizeBytes, blockCount: canonicalBlockIndices(layer.sectorMap).length });
}
