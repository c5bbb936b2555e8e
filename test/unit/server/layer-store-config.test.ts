/** Which layer store the environment selects, and the refusal of malformed settings. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryObjectStore } from '../../../lib/server/layers/directory-object-store';
import { maxLayerBytesFromEnv, objectStoreFromEnv } from '../../../lib/server/layers/layer-store-config';
import { S3ObjectStore } from '../../../lib/server/layers/s3-object-store';

describe('layer store configuration', () => {
  it('is a directory by default: ./layers, or LEAFLAB_LAYER_DIR', () => {
    const store = objectStoreFromEnv({});
    expect(store).toBeInstanceOf(DirectoryObjectStore);
    expect(store.description).toBe(`directory ${path.resolve('layers')}`);
    expect(objectStoreFromEnv({ LEAFLAB_LAYER_DIR: '/srv/layers' }).description).toBe('directory /srv/layers');
  });

  it('is S3 when a bucket is named', () => {
    const store = objectStoreFromEnv({ LEAFLAB_LAYER_S3_BUCKET: 'b', LEAFLAB_LAYER_S3_ENDPOINT: 'http://127.0.0.1:9000', LEAFLAB_LAYER_S3_PREFIX: 'lab/' });
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store.description).toBe('S3 bucket b under lab/ at http://127.0.0.1:9000');
    (store as S3ObjectStore).close();
  });

  it('refuses a malformed endpoint, prefix or size limit', () => {
    expect(() => objectStoreFromEnv({ LEAFLAB_LAYER_S3_BUCKET: 'b', LEAFLAB_LAYER_S3_ENDPOINT: 'not a url' })).toThrow('LEAFLAB_LAYER_S3_ENDPOINT must be a URL');
    expect(() => objectStoreFromEnv({ LEAFLAB_LAYER_S3_BUCKET: 'b', LEAFLAB_LAYER_S3_PREFIX: '../x' })).toThrow('LEAFLAB_LAYER_S3_PREFIX must be empty or folders ending in "/"');
    expect(maxLayerBytesFromEnv({})).toBe(1024 * 1024 * 1024);
    expect(maxLayerBytesFromEnv({ LEAFLAB_LAYER_MAX_BYTES: '4096' })).toBe(4096);
    for (const value of ['-1', '1e9', '0', 'lots']) expect(() => maxLayerBytesFromEnv({ LEAFLAB_LAYER_MAX_BYTES: value })).toThrow('LEAFLAB_LAYER_MAX_BYTES must be a positive whole number');
  });
});
