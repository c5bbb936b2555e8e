import { describe, expect, it } from 'vitest';
import { chunkTableEtag, imageEtag, ManifestError, nonZeroBytes, parseImageBaseUrl, parseManifest, publishImage, zeroChunkCount } from '@/lib/images/manifest';

const valid = {
  id: 'leaflab-linux',
  title: 'Leaflab Linux',
  description: 'A small Linux.',
  sizeBytes: 134217728,
  sha256: 'a'.repeat(64),
  chunkSizeBytes: 65536,
  zeroChunks: [[10, 5]],
  chunkDigests: { file: 'chunks.sha256', sha256: 'c'.repeat(64) },
  boot: { memoryMiB: 128, vgaMemoryMiB: 8, acpi: true },
  partitions: [{ index: 1, type: 'FAT16', startSector: 2048, sectorCount: 32768, label: 'boot' }],
  build: { anything: 'extra fields are ignored' },
};

describe('parseManifest', () => {
  it('accepts a valid manifest and keeps only known fields', () => {
    const known: Partial<typeof valid> = { ...valid };
    delete known.build;
    expect(parseManifest(valid, 'test')).toEqual(known);
  });

  it('keeps what is inside, trimmed, when the manifest lists it', () => {
    const parsed = parseManifest({ ...valid, contents: [' bash 5.2 ', 'Python 3.11'] }, 'test');
    expect(parsed.contents).toEqual(['bash 5.2', 'Python 3.11']);
    expect('contents' in parseManifest(valid, 'test')).toBe(false);
  });

  it.each([
    ['a non-object', 'nope', /JSON object/],
    ['an id with a path in it', { ...valid, id: '../etc' }, /"id"/],
    ['an upper-case id', { ...valid, id: 'Leaf' }, /"id"/],
    ['a size that is not whole sectors', { ...valid, sizeBytes: 1000 }, /sizeBytes/],
    ['a short digest', { ...valid, sha256: 'abc' }, /sha256/],
    ['an upper-case digest', { ...valid, sha256: 'A'.repeat(64) }, /sha256/],
    ['a chunk size that is no power of two', { ...valid, chunkSizeBytes: 3000 }, /chunkSizeBytes/],
    ['a zero run past the end', { ...valid, zeroChunks: [[2047, 2]] }, /past the last chunk/],
    ['an empty zero run', { ...valid, zeroChunks: [[1, 0]] }, /count > 0/],
    ['no chunk table', { ...valid, chunkDigests: undefined }, /"chunkDigests"/],
    ['a chunk table under another name', { ...valid, chunkDigests: { file: '../disk.img', sha256: 'c'.repeat(64) } }, /"chunkDigests"/],
    ['a chunk table without its digest', { ...valid, chunkDigests: { file: 'chunks.sha256' } }, /"chunkDigests"/],
    ['an upper-case chunk table digest', { ...valid, chunkDigests: { file: 'chunks.sha256', sha256: 'C'.repeat(64) } }, /"chunkDigests"/],
    ['missing boot settings', { ...valid, boot: undefined }, /"boot"/],
    ['absurd memory', { ...valid, boot: { ...valid.boot, memoryMiB: 1e9 } }, /memoryMiB/],
    ['contents that are not a list', { ...valid, contents: 'bash' }, /"contents"/],
    ['contents with an empty line', { ...valid, contents: ['bash', ' '] }, /"contents"/],
    ['contents with a number', { ...valid, contents: [42] }, /"contents"/],
    ['a flood of contents', { ...valid, contents: Array.from({ length: 21 }, (_, i) => `line ${i}`) }, /"contents"/],
    ['a contents line longer than 300 characters', { ...valid, contents: ['x'.repeat(301)] }, /"contents"/],
  ])('refuses %s with a message naming the field', (_case, input, message) => {
    expect(() => parseManifest(input, 'catalog/x/manifest.json')).toThrow(ManifestError);
    expect(() => parseManifest(input, 'catalog/x/manifest.json')).toThrow(message);
    expect(() => parseManifest(input, 'catalog/x/manifest.json')).toThrow(/catalog\/x\/manifest.json/);
  });

  it('keeps only the known fields of the chunk table reference', () => {
    const parsed = parseManifest({ ...valid, chunkDigests: { ...valid.chunkDigests, extra: 1 } }, 'test');
    expect(parsed.chunkDigests).toEqual({ file: 'chunks.sha256', sha256: 'c'.repeat(64) });
  });

  it('accepts the last chunk in a zero run', () => {
    expect(parseManifest({ ...valid, zeroChunks: [[2047, 1]] }, 'test').zeroChunks).toEqual([[2047, 1]]);
  });
});

describe('image identity and publishing', () => {
  const manifest = parseManifest(valid, 'test');

  it('derives a strong ETag from the content digest', () => {
    expect(imageEtag({ sha256: 'b'.repeat(64) })).toBe(`"sha256-${'b'.repeat(64)}"`);
  });

  it('publishes on the lab server at a digest-named URL with its ETag', () => {
    const published = publishImage(manifest);
    expect(published.url).toBe(`/images/leaflab-linux/${'a'.repeat(64)}.img`);
    expect(published.latestUrl).toBe('/images/leaflab-linux/disk.img');
    expect(published.etag).toBe(`"sha256-${'a'.repeat(64)}"`);
    expect(published.chunkDigestsUrl).toBe(`/images/leaflab-linux/${'a'.repeat(64)}.chunks`);
  });

  it("derives the chunk table's strong ETag from the table's own digest", () => {
    expect(chunkTableEtag(manifest)).toBe(`"sha256-${'c'.repeat(64)}"`);
  });

  it('publishes on another static host as the catalog folder, without promising its ETag', () => {
    const published = publishImage(manifest, 'http://127.0.0.1:8080/catalog/');
    expect(published.url).toBe('http://127.0.0.1:8080/catalog/leaflab-linux/disk.img');
    expect(published.chunkDigestsUrl).toBe('http://127.0.0.1:8080/catalog/leaflab-linux/chunks.sha256');
    expect(published.etag).toBeUndefined();
  });
});

describe('parseImageBaseUrl', () => {
  it('accepts nothing or an absolute http(s) URL', () => {
    expect(parseImageBaseUrl(undefined)).toBeUndefined();
    expect(parseImageBaseUrl(' ')).toBeUndefined();
    expect(parseImageBaseUrl('https://cdn.example.org/images')).toBe('https://cdn.example.org/images');
  });

  it.each(['images', '/images', 'ftp://host/x', 'https://host/x?y=1', 'javascript:alert(1)'])('refuses %s with a clear message', (value) => {
    expect(() => parseImageBaseUrl(value)).toThrow(/LEAFLAB_IMAGE_BASE_URL must/);
  });
});

describe('zeroChunkCount and nonZeroBytes', () => {
  it('count the listed chunks and the bytes outside them', () => {
    const manifest = { sizeBytes: 10 * 65536 + 512, chunkSizeBytes: 65536, zeroChunks: [[0, 2], [5, 3]] as Array<[number, number]> };
    expect(zeroChunkCount(manifest)).toBe(5);
    expect(nonZeroBytes(manifest)).toBe(5 * 65536 + 512);
    expect(nonZeroBytes({ ...manifest, zeroChunks: [] })).toBe(manifest.sizeBytes);
  });
});
