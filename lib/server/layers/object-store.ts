/**
 * Where the layer store keeps its bytes: a flat key → object store, whole objects only. Two
 * backends (directory-object-store.ts, s3-object-store.ts); everything about layers is built on
 * this contract in layer-store.ts, so both backends behave the same by construction.
 *
 * Keys are built only by layer-store-keys.ts from checked hex digests; a backend still refuses
 * any other key, so no request can ever name a path or object of its choosing.
 *
 * Not marked `server-only`: server.ts runs outside Next's bundler, where that guard throws.
 */
export interface ObjectStore {
  /** For logs and messages (never a credential). */
  readonly description: string;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  has(key: string): Promise<boolean>;
  /** Writes the whole object; a reader sees the old object (or none) or all of the new one, never a part. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The keys that start with `prefix` (a folder such as "chunks/"). */
  list(prefix: string): Promise<string[]>;
}

const OBJECT_KEY = /^(chunks|tables|uploads|layers)\/[0-9a-f]{64}(\.json)?$/;
const LIST_PREFIX = /^(chunks|tables|uploads|layers)\/$/;

export function assertObjectKey(key: string): void {
  if (!OBJECT_KEY.test(key)) throw new Error(`not a layer store key: ${JSON.stringify(key)}`);
}

export function assertListPrefix(prefix: string): void {
  if (!LIST_PREFIX.test(prefix)) throw new Error(`not a layer store folder: ${JSON.stringify(prefix)}`);
}
