/** The canonical descriptor: round trip, a stable id, and every validation. */
import { describe, expect, it } from 'vitest';
import { descriptorText, encodeDescriptor, LayerFormatError, parseDescriptor, type LayerDescriptor } from '../../../lib/layers/layer-format';
import { layerIdOf } from '../../../lib/layers/layer-id';
import { bodyGeometry } from '../../../lib/layers/layer-body-geometry';

const ROOT = { id: 'leaflab-linux', sizeBytes: 134217728, sha256: 'a'.repeat(64) };

function descriptor(overrides: Partial<LayerDescriptor> = {}): LayerDescriptor {
  const blockSizeBytes = overrides.blockSizeBytes ?? 32768;
  const blockCount = overrides.blockCount ?? 3;
  return {
    format: 'leaflab-layer',
    version: 1,
    root: ROOT,
    parent: null,
    blockSizeBytes,
    blockCount,
    body: { sizeBytes: bodyGeometry(blockSizeBytes, blockCount).bodySizeBytes, chunkSizeBytes: 65536, chunkDigestsSha256: 'b'.repeat(64) },
    ...overrides,
  };
}

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('layer descriptor', () => {
  it('encodes canonically and parses back to the same descriptor', () => {
    const bytes = encodeDescriptor(descriptor());
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"format":"leaflab-layer","version":1,"root":{"id":"leaflab-linux","sizeBytes":134217728,"sha256":"${'a'.repeat(64)}"},"parent":null,"blockSizeBytes":32768,"blockCount":3,"body":{"sizeBytes":163840,"chunkSizeBytes":65536,"chunkDigestsSha256":"${'b'.repeat(64)}"}}`,
    );
    expect(parseDescriptor(bytes)).toEqual(descriptor());
  });

  it('gives a stable id that covers the root digest and the parent', async () => {
    const id = await layerIdOf(encodeDescriptor(descriptor()));
    // Pinned: a change of the canonical form changes every published id.
    // (the sha-256 of the canonical text above, computed apart with node's crypto)
    expect(id).toBe('3dde3326d2100c3ad0b0b4f2b882a492108dd664c7255d0bba41464740327711');
    const otherRoot = await layerIdOf(encodeDescriptor(descriptor({ root: { ...ROOT, sha256: 'c'.repeat(64) } })));
    const withParent = await layerIdOf(encodeDescriptor(descriptor({ parent: 'd'.repeat(64) })));
    expect(new Set([id, otherRoot, withParent]).size).toBe(3);
    // The key order of the object given does not matter, only the canonical bytes do.
    const { body, ...rest } = descriptor();
    expect(await layerIdOf(encodeDescriptor({ body, ...rest }))).toBe(id);
  });

  it('refuses bytes that are not the canonical encoding', () => {
    const text = descriptorText(descriptor());
    const variants = [
      text.replace('{"format"', '{ "format"'),
      JSON.stringify(descriptor(), null, 1),
      text.replace('"format":"leaflab-layer","version":1', '"version":1,"format":"leaflab-layer"'),
      text.slice(0, -1) + ',"extra":1}',
      `${text}\n`,
    ];
    for (const variant of variants) expect(() => parseDescriptor(encode(variant)), variant).toThrow(/canonical|not JSON/);
    expect(() => parseDescriptor(encode('[1]'))).toThrow('not a JSON object');
    expect(() => parseDescriptor(new Uint8Array([0xff, 0xfe]))).toThrow('not JSON');
    expect(() => parseDescriptor(new Uint8Array(5000))).toThrow('more than the 4096');
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['format', { format: 'qcow2' }, /"format"/],
    ['version', { version: 2 }, /"version"/],
    ['root', { root: null }, /"root" must be an object/],
    ['root.id', { root: { ...ROOT, id: '../etc' } }, /"root.id"/],
    ['root.sizeBytes', { root: { ...ROOT, sizeBytes: 1000 } }, /"root.sizeBytes"/],
    ['root.sha256', { root: { ...ROOT, sha256: 'A'.repeat(64) } }, /"root.sha256"/],
    ['parent', { parent: 'xyz' }, /"parent"/],
    ['blockSizeBytes (not a sector multiple)', { blockSizeBytes: 1000 }, /"blockSizeBytes"/],
    ['blockSizeBytes (too large)', { blockSizeBytes: 8 * 1024 * 1024 }, /"blockSizeBytes"/],
    ['blockCount (negative)', { blockCount: -1 }, /"blockCount"/],
    ['blockCount (more than the root has)', { blockCount: 4097 }, /"blockCount" must be an integer from 0 to the root's 4096 blocks/],
    ['body', { body: 'x' }, /"body" must be an object/],
  ];
  it.each(invalid)('refuses a wrong %s', (_, overrides, message) => {
    const value = { ...descriptor(), ...overrides };
    expect(() => parseDescriptor(encode(value))).toThrow(LayerFormatError);
    expect(() => parseDescriptor(encode(value))).toThrow(message);
  });

  it('refuses a body whose size, chunk size or digest does not fit', () => {
    const good = descriptor();
    expect(() => parseDescriptor(encode({ ...good, body: { ...good.body, sizeBytes: good.body.sizeBytes + 1 } }))).toThrow('"body.sizeBytes" must be 163840');
    expect(() => parseDescriptor(encode({ ...good, body: { ...good.body, chunkSizeBytes: 4096 } }))).toThrow('"body.chunkSizeBytes"');
    expect(() => parseDescriptor(encode({ ...good, body: { ...good.body, chunkDigestsSha256: 'short' } }))).toThrow('"body.chunkDigestsSha256"');
  });

  it('accepts an empty layer (no blocks, an empty body)', () => {
    const empty = descriptor({ blockCount: 0 });
    expect(empty.body.sizeBytes).toBe(0);
    expect(parseDescriptor(encodeDescriptor(empty))).toEqual(empty);
  });
});
