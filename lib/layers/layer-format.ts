/**
 * The canonical descriptor of a published layer (issue #10, "Publish and share"): a small JSON
 * document whose exact bytes are hashed into the layer's id. The id therefore covers the root's
 * digest, the parent layer's id, the geometry and (through the chunk table's digest) every byte
 * of the body, so a layer id names exactly one content and one place in one chain.
 *
 * Canonical bytes: JSON with the keys in the fixed order below, no whitespace. A descriptor whose
 * bytes are not exactly the canonical encoding of what they say is refused, so no two byte
 * strings describe the same layer.
 *
 * Plain TypeScript with no Node or DOM imports: the server, the publisher and the reader use it.
 */
import type { RootIdentity } from '../disk/leaf-store';
import { IMAGE_ID_PATTERN, SECTOR_SIZE_BYTES } from '../images/manifest';
import { bodyGeometry } from './layer-body-geometry';

export const LAYER_FORMAT = 'leaflab-layer';
export const LAYER_FORMAT_VERSION = 1;
/** Body chunk size: the root's chunk size, so a RangeSource reads a body as it reads a root. */
export const LAYER_CHUNK_SIZE_BYTES = 65536;
/** Largest block size a layer may have (a leaf's is 32 KiB by default). */
export const MAX_LAYER_BLOCK_SIZE_BYTES = 4 * 1024 * 1024;
/** A layer id: lower-case hex sha-256 of the canonical descriptor bytes. */
export const LAYER_ID_PATTERN = /^[0-9a-f]{64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Far above any real descriptor (about 400 bytes); a bound for readers of untrusted input. */
export const MAX_DESCRIPTOR_BYTES = 4096;

export interface LayerBodyInfo {
  sizeBytes: number;
  chunkSizeBytes: number;
  /** Lower-case hex sha-256 of the body's chunk table (raw 32-byte digest per chunk). */
  chunkDigestsSha256: string;
}

export interface LayerDescriptor {
  format: typeof LAYER_FORMAT;
  version: typeof LAYER_FORMAT_VERSION;
  root: RootIdentity;
  /** The id of the layer below, or null for a layer directly on the root. */
  parent: string | null;
  blockSizeBytes: number;
  blockCount: number;
  body: LayerBodyInfo;
}

export class LayerFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerFormatError';
  }
}

/** The canonical text: fixed key order, no whitespace (JSON.stringify keeps insertion order). */
export function descriptorText(descriptor: LayerDescriptor): string {
  const { root, body } = descriptor;
  return JSON.stringify({
    format: descriptor.format,
    version: descriptor.version,
    root: { id: root.id, sizeBytes: root.sizeBytes, sha256: root.sha256 },
    parent: descriptor.parent,
    blockSizeBytes: descriptor.blockSizeBytes,
    blockCount: descriptor.blockCount,
    body: { sizeBytes: body.sizeBytes, chunkSizeBytes: body.chunkSizeBytes, chunkDigestsSha256: body.chunkDigestsSha256 },
  });
}

export function encodeDescriptor(descriptor: LayerDescriptor): Uint8Array {
  validateDescriptor(descriptor);
  return new TextEncoder().encode(descriptorText(descriptor));
}

/** How many blocks of `blockSizeBytes` the root has (the last may be partial). */
export function rootBlockCount(root: RootIdentity, blockSizeBytes: number): number {
  return Math.ceil(root.sizeBytes / blockSizeBytes);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Throws LayerFormatError naming the first field that is wrong. */
export function validateDescriptor(descriptor: LayerDescriptor): void {
  const fail = (message: string): never => {
    throw new LayerFormatError(`Layer descriptor: ${message}`);
  };
  if (descriptor.format !== LAYER_FORMAT) fail(`"format" must be "${LAYER_FORMAT}", got ${JSON.stringify(descriptor.format)}`);
  if (descriptor.version !== LAYER_FORMAT_VERSION) fail(`"version" must be ${LAYER_FORMAT_VERSION}, got ${JSON.stringify(descriptor.version)}`);
  const root = descriptor.root as Partial<RootIdentity> | null;
  if (typeof root !== 'object' || root === null) return fail('"root" must be an object {id, sizeBytes, sha256}');
  if (typeof root.id !== 'string' || !IMAGE_ID_PATTERN.test(root.id)) fail(`"root.id" must be an image id, got ${JSON.stringify(root.id)}`);
  if (!isPositiveInteger(root.sizeBytes) || root.sizeBytes % SECTOR_SIZE_BYTES !== 0)
    fail(`"root.sizeBytes" must be a positive multiple of ${SECTOR_SIZE_BYTES}, got ${JSON.stringify(root.sizeBytes)}`);
  if (typeof root.sha256 !== 'string' || !SHA256_HEX.test(root.sha256)) fail('"root.sha256" must be 64 lower-case hex digits');
  if (descriptor.parent !== null && (typeof descriptor.parent !== 'string' || !LAYER_ID_PATTERN.test(descriptor.parent)))
    fail('"parent" must be null or a layer id (64 lower-case hex digits)');
  const { blockSizeBytes, blockCount } = descriptor;
  if (!isPositiveInteger(blockSizeBytes) || blockSizeBytes % SECTOR_SIZE_BYTES !== 0 || blockSizeBytes > MAX_LAYER_BLOCK_SIZE_BYTES)
    fail(`"blockSizeBytes" must be a multiple of ${SECTOR_SIZE_BYTES} up to ${MAX_LAYER_BLOCK_SIZE_BYTES}, got ${JSON.stringify(blockSizeBytes)}`);
  const maxBlocks = rootBlockCount(descriptor.root, blockSizeBytes);
  if (typeof blockCount !== 'number' || !Number.isSafeInteger(blockCount) || blockCount < 0 || blockCount > maxBlocks)
    fail(`"blockCount" must be an integer from 0 to the root's ${maxBlocks} blocks, got ${JSON.stringify(blockCount)}`);
  const body = descriptor.body as Partial<LayerBodyInfo> | null;
  if (typeof body !== 'object' || body === null) return fail('"body" must be an object {sizeBytes, chunkSizeBytes, chunkDigestsSha256}');
  if (body.chunkSizeBytes !== LAYER_CHUNK_SIZE_BYTES) fail(`"body.chunkSizeBytes" must be ${LAYER_CHUNK_SIZE_BYTES}, got ${JSON.stringify(body.chunkSizeBytes)}`);
  const expectedBodyBytes = bodyGeometry(blockSizeBytes, blockCount).bodySizeBytes;
  if (body.sizeBytes !== expectedBodyBytes)
    fail(`"body.sizeBytes" must be ${expectedBodyBytes} for ${blockCount} blocks of ${blockSizeBytes} bytes, got ${JSON.stringify(body.sizeBytes)}`);
  if (typeof body.chunkDigestsSha256 !== 'string' || !SHA256_HEX.test(body.chunkDigestsSha256))
    fail('"body.chunkDigestsSha256" must be 64 lower-case hex digits');
}

/**
 * Parses and checks descriptor bytes from anywhere (a server, a request): valid JSON, every
 * field right, and the bytes exactly the canonical encoding. Throws LayerFormatError.
 */
export function parseDescriptor(bytes: Uint8Array): LayerDescriptor {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) throw new LayerFormatError(`Layer descriptor: ${bytes.length} bytes, more than the ${MAX_DESCRIPTOR_BYTES} a descriptor can have`);
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw new LayerFormatError(`Layer descriptor: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LayerFormatError('Layer descriptor: not a JSON object');
  const descriptor = value as LayerDescriptor;
  validateDescriptor(descriptor);
  if (descriptorText(descriptor) !== text)
    throw new LayerFormatError('Layer descriptor: not in canonical form (keys in the fixed order, no other keys, no whitespace)');
  return descriptor;
}
