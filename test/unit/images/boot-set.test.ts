import { describe, expect, it } from 'vitest';
import { BOOT_SET_LIMITS, bootSetRunsFor, chunkRunsOf, chunksOfRuns, warmSetRunsFor, type BootSet } from '@/lib/images/boot-set';
import { ManifestError, parseManifest } from '@/lib/images/manifest';

const sha256 = 'a'.repeat(64);
/** 2048 chunks of 64 KiB; chunks 10..14 are all zero. */
const valid = {
  id: 'leaflab-linux',
  title: 'Leaflab Linux',
  description: 'A small Linux.',
  sizeBytes: 134217728,
  sha256,
  chunkSizeBytes: 65536,
  zeroChunks: [[10, 5]],
  chunkDigests: { file: 'chunks.sha256', sha256: 'c'.repeat(64) },
  boot: { memoryMiB: 128, vgaMemoryMiB: 8, acpi: true },
  partitions: [],
};
const bootSet = { imageSha256: sha256, chunkSizeBytes: 65536, runs: [[0, 1], [16, 100], [400, 3], [1, 2]] };
const withSet = (set: unknown) => ({ ...valid, bootSet: set });

describe('the manifest bootSet', () => {
  it('is kept, runs in their first-read order, when valid', () => {
    expect(parseManifest(withSet(bootSet), 'test').bootSet).toEqual(bootSet);
    expect('bootSet' in parseManifest(valid, 'test')).toBe(false);
  });

  it('accepts the last chunk and exactly the limits', () => {
    const runs = Array.from({ length: BOOT_SET_LIMITS.runs }, (_, i) => [16 + i * 2, 1]);
    const small = { ...valid, chunkSizeBytes: 4096, sizeBytes: 4096 * 40_000, zeroChunks: [] };
    expect(parseManifest({ ...small, bootSet: { ...bootSet, chunkSizeBytes: 4096, runs } }, 'test').bootSet?.runs).toHaveLength(BOOT_SET_LIMITS.runs);
    expect(parseManifest(withSet({ ...bootSet, runs: [[2047, 1]] }), 'test').bootSet?.runs).toEqual([[2047, 1]]);
  });

  it.each([
    ['not an object', [[0, 1]], /"bootSet" must be/],
    ['no digest', { ...bootSet, imageSha256: undefined }, /imageSha256/],
    ['an upper-case digest', { ...bootSet, imageSha256: 'A'.repeat(64) }, /imageSha256/],
    ['another chunk size', { ...bootSet, chunkSizeBytes: 4096 }, /"bootSet.chunkSizeBytes" is 4096, but the manifest's chunkSizeBytes is 65536/],
    ['runs that are not a list', { ...bootSet, runs: '0-1' }, /"runs" must be an array/],
    ['an empty run', { ...bootSet, runs: [[0, 0]] }, /count > 0/],
    ['a negative chunk', { ...bootSet, runs: [[-1, 2]] }, /count > 0/],
    ['a fractional chunk', { ...bootSet, runs: [[1.5, 2]] }, /count > 0/],
    ['a triple', { ...bootSet, runs: [[0, 1, 2]] }, /count > 0/],
    ['a run past the end', { ...bootSet, runs: [[2047, 2]] }, /\[2047, 2\] lies past the last chunk 2047/],
    ['overlapping runs', { ...bootSet, runs: [[20, 5], [0, 1], [24, 3]] }, /\[20, 5\] and \[24, 3\] overlap/],
    ['a chunk listed twice', { ...bootSet, runs: [[30, 1], [30, 1]] }, /overlap/],
    ['an all-zero chunk', { ...bootSet, runs: [[0, 1], [8, 4]] }, /includes chunk 10, which "zeroChunks" lists as all-zero/],
    ['too many runs', { ...bootSet, runs: Array.from({ length: BOOT_SET_LIMITS.runs + 1 }, (_, i) => [i, 1]) }, /at most 16384 are allowed/],
  ])('refuses %s with a message naming the field', (_case, set, message) => {
    const parse = () => parseManifest(withSet(set), 'catalog/x/manifest.json');
    expect(parse).toThrow(ManifestError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(/catalog\/x\/manifest.json/);
  });

  it('refuses a set larger than the byte limit', () => {
    const chunks = BOOT_SET_LIMITS.bytes / 65536 + 1;
    const big = { ...valid, sizeBytes: 65536 * (chunks + 20), zeroChunks: [] };
    expect(() => parseManifest({ ...big, bootSet: { ...bootSet, runs: [[0, chunks]] } }, 'test')).toThrow(/at most 536870912 bytes/);
  });

  it('checks a set recorded on another build for bounds but not against this disk\'s zero chunks', () => {
    const stale = { ...bootSet, imageSha256: 'b'.repeat(64), runs: [[10, 2]] };
    expect(parseManifest(withSet(stale), 'test').bootSet).toEqual(stale);
    expect(() => parseManifest(withSet({ ...stale, runs: [[2048, 1]] }), 'test')).toThrow(/past the last chunk/);
  });
});

describe('bootSetRunsFor', () => {
  const image = parseManifest(withSet(bootSet), 'test');

  it('gives the runs of a set recorded on this image', () => {
    expect(bootSetRunsFor(image)).toEqual(bootSet.runs);
  });

  it('ignores a set recorded on another digest, an empty one, or none', () => {
    expect(bootSetRunsFor({ ...image, bootSet: { ...image.bootSet!, imageSha256: 'b'.repeat(64) } })).toBeUndefined();
    expect(bootSetRunsFor({ ...image, bootSet: { ...image.bootSet!, runs: [] } })).toBeUndefined();
    expect(bootSetRunsFor({ ...image, bootSet: undefined })).toBeUndefined();
  });
});

describe('chunk runs', () => {
  it('join consecutive chunks in order and expand back', () => {
    const chunks = [0, 16, 17, 18, 400, 402, 403, 401, 5];
    const runs = chunkRunsOf(chunks);
    expect(runs).toEqual([[0, 1], [16, 3], [400, 1], [402, 2], [401, 1], [5, 1]]);
    expect(chunksOfRuns(runs)).toEqual(chunks);
  });
});

describe('the manifest warmSet and warmCommands', () => {
  const warmSet: BootSet = { imageSha256: sha256, chunkSizeBytes: 65536, runs: [[300, 4], [900, 2]] };
  const withWarm = (fields: Record<string, unknown>) => ({ ...valid, bootSet, ...fields });

  it('keeps a valid warm set and its commands; a manifest without them has neither', () => {
    const parsed = parseManifest(withWarm({ warmSet, warmCommands: ['python3 -c pass', 'git --version'] }), 'test');
    expect(parsed.warmSet).toEqual(warmSet);
    expect(parsed.warmCommands).toEqual(['python3 -c pass', 'git --version']);
    expect(warmSetRunsFor(parsed)).toEqual(warmSet.runs);
    expect(warmSetRunsFor({ ...parsed, warmSet: { ...warmSet, imageSha256: 'b'.repeat(64) } })).toBeUndefined();
    const plain = parseManifest(withSet(bootSet), 'test');
    expect('warmSet' in plain || 'warmCommands' in plain).toBe(false);
    expect(warmSetRunsFor(plain)).toBeUndefined();
  });

  it.each([
    ['not an object', [[0, 1]], /"warmSet" must be/],
    ['another chunk size', { ...warmSet, chunkSizeBytes: 4096 }, /"warmSet.chunkSizeBytes" is 4096/],
    ['a run past the end', { ...warmSet, runs: [[2047, 2]] }, /"warmSet.runs" run \[2047, 2\] lies past the last chunk 2047/],
    ['overlapping runs', { ...warmSet, runs: [[20, 5], [24, 3]] }, /"warmSet.runs" \[20, 5\] and \[24, 3\] overlap/],
    ['an all-zero chunk', { ...warmSet, runs: [[8, 4]] }, /"warmSet.runs" includes chunk 10/],
    ['too many runs', { ...warmSet, runs: Array.from({ length: BOOT_SET_LIMITS.runs + 1 }, (_, i) => [i * 2 + 20, 1]) }, /"warmSet.runs" has 16385 runs/],
  ])('refuses a warm set with %s, naming warmSet', (_case, set, message) => {
    expect(() => parseManifest(withWarm({ warmSet: set }), 'catalog/x/manifest.json')).toThrow(message);
  });

  it.each([
    ['not a list', 'python3 -c pass'],
    ['an empty command', ['']],
    ['a command of two lines', ['ls\nreboot']],
    ['a command that is not text', [42]],
    ['too many commands', Array.from({ length: 17 }, () => 'true')],
    ['too long a command', ['x'.repeat(201)]],
  ])('refuses warmCommands that are %s', (_case, commands) => {
    expect(() => parseManifest(withWarm({ warmCommands: commands }), 'test')).toThrow(/"warmCommands" must be a list of at most 16 one-line shell commands/);
  });
});
