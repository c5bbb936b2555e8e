/**
 * Which layer store a server uses, from its environment:
 *
 *   LEAFLAB_LAYER_MAX_BYTES          largest layer body accepted (default 1 GiB)
 *   LEAFLAB_LAYER_DIR                the directory store's folder (default ./layers)
 *   LEAFLAB_LAYER_S3_BUCKET          when set, layers live in this S3 bucket instead
 *   LEAFLAB_LAYER_S3_ENDPOINT        an S3-compatible server's URL (default: AWS)
 *   LEAFLAB_LAYER_S3_REGION          default us-east-1
 *   LEAFLAB_LAYER_S3_PREFIX          key prefix inside the bucket (default none)
 *   LEAFLAB_LAYER_S3_FORCE_PATH_STYLE=1  path-style URLs (local servers, MinIO)
 * S3 credentials come from the standard AWS variables (AWS_ACCESS_KEY_ID, ...) or profiles.
 */
import path from 'node:path';
import { DirectoryObjectStore } from './directory-object-store';
import { DEFAULT_MAX_LAYER_BYTES } from './layer-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-object-store';

export function maxLayerBytesFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const value = env.LEAFLAB_LAYER_MAX_BYTES;
  if (value === undefined || value === '') return DEFAULT_MAX_LAYER_BYTES;
  const bytes = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(bytes) || bytes <= 0)
    throw new Error(`LEAFLAB_LAYER_MAX_BYTES must be a positive whole number of bytes, got "${value}"`);
  return bytes;
}

export function objectStoreFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ObjectStore {
  const bucket = env.LEAFLAB_LAYER_S3_BUCKET;
  if (bucket) {
    const keyPrefix = env.LEAFLAB_LAYER_S3_PREFIX ?? '';
    if (keyPrefix !== '' && !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(keyPrefix))
      throw new Error(`LEAFLAB_LAYER_S3_PREFIX must be empty or folders ending in "/", got "${keyPrefix}"`);
    const endpoint = env.LEAFLAB_LAYER_S3_ENDPOINT || undefined;
    if (endpoint !== undefined && !URL.canParse(endpoint)) throw new Error(`LEAFLAB_LAYER_S3_ENDPOINT must be a URL, got "${endpoint}"`);
    return new S3ObjectStore({
      bucket,
      keyPrefix,
      endpoint,
      region: env.LEAFLAB_LAYER_S3_REGION || 'us-east-1',
      forcePathStyle: env.LEAFLAB_LAYER_S3_FORCE_PATH_STYLE === '1' || env.LEAFLAB_LAYER_S3_FORCE_PATH_STYLE === 'true',
    });
  }
  return new DirectoryObjectStore(path.resolve(env.LEAFLAB_LAYER_DIR || 'layers'));
}
