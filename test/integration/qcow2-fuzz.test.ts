/**
 * Import fuzz: more than 1,000 corrupt, truncated or hostile qcow2 files, made from three valid
 * bases (Leaflab's own export, and qemu-img/qemu-io overlays with standard and extended L2
 * entries). Each must be refused with a Qcow2ImportError carrying a message, or accepted and
 * then read in full; never another exception, never a hang. Mutations that can only make a file
 * invalid (truncation inside metadata, table entries pointing past the end, onto metadata or at
 * another entry's cluster, reserved or compressed bits) must be refused. The seed is printed on
 * failure (LEAFLAB_FUZZ_SEED=<seed> replays it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planQcow2Export } from '@/lib/qcow2';
import { anatomyOf, importOutcome, type FileAnatomy } from '../support/qcow2-fuzz';
import { collectExport, mergedWithRandomWrites, randomSectorRuns, seededRandom } from '../support/qcow2';

const SIZE_BYTES = 2 * 1024 * 1024;
const ROOT_NAME = 'leaflab-fuzz-0123456789ab.img';
const expectation = { sizeBytes: SIZE_BYTES, backingFileNames: [ROOT_NAME] };
const seed = Number(process.env.LEAFLAB_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seededRandom(seed);
const root = new Uint8Array(SIZE_BYTES).map((_, index) => (index * 7) & 0xff);
const work = mkdtempSync(path.join(tmpdir(), 'leaflab-qcow2-fuzz-'));
const bases: { name: string; bytes: Uint8Array; anatomy: FileAnatomy }[] = [];

beforeAll(async () => {
  writeFileSync(path.join(work, ROOT_NAME), root);
  const runs = randomSectorRuns(random, SIZE_BYTES / 512, 40);
  const merged = mergedWithRandomWrites(root, runs, random);
  const exported = await collectExport(
    planQcow2Export({ sizeBytes: SIZE_BYTES, sectorRuns: runs, read: async (offset, length) => merged.slice(offset, offset + length) }, { backingFileName: ROOT_NAME, backingUrl: 'https://lab.example/root' }),
  );
  bases.push({ name: 'leaflab export', bytes: exported, anatomy: anatomyOf(exported) });
  for (const options of ['cluster_size=65536', 'extended_l2=on,cluster_size=16384']) {
    const file = path.join(work, `${options.replace(/\W/g, '-')}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', options, '-b', ROOT_NAME, '-F', 'raw', file, String(SIZE_BYTES)], { cwd: work });
    const writes = ['write -P 1 0 512', 'write -P 2 70000 9000', 'write -z 262144 65536', 'write -z 600000 2048', `write -P 3 ${SIZE_BYTES - 1024} 1024`];
    execFileSync('qemu-io', [...writes.flatMap((command) => ['-c', command]), file], { cwd: work, stdio: 'ignore' });
    const bytes = new Uint8Array(readFileSync(file));
    bases.push({ name: `qemu-img ${options}`, bytes, anatomy: anatomyOf(bytes) });
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function setU64(bytes: Uint8Array, offset: number, high: number, low: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(offset, high >>> 0);
  view.setUint32(offset + 4, low >>> 0);
}

/** Header fields (offset, width) and hostile values for them. */
const HEADER_FIELDS: [name: string, offset: number, width: 4 | 8][] = [
  ['version', 4, 4], ['backing_file_offset', 8, 8], ['backing_file_size', 16, 4], ['cluster_bits', 20, 4], ['size', 24, 8],
  ['crypt_method', 32, 4], ['l1_size', 36, 4], ['l1_table_offset', 40, 8], ['refcount_table_offset', 48, 8],
  ['refcount_table_clusters', 56, 4], ['nb_snapshots', 60, 4], ['incompatible_features', 72, 8], ['refcount_order', 96, 4], ['header_length', 100, 4],
];

function hostileValue(fileBytes: number, clusterBytes: number): [high: number, low: number] {
  const choices: [number, number][] = [
    [0xffffffff, 0xffffffff], [0x80000000, 0], [0, 0xffffffff], [0, 0x80000000], [0, 0], [0, 1], [0, 7], [0, 512],
    [0, Math.ceil(fileBytes / clusterBytes) * clusterBytes], [0, fileBytes + clusterBytes * 8], [0, fileBytes - 8], [0x00ffffff, 0xfffffe00],
    [0, Math.floor(random() * 0xffffffff)], [Math.floor(random() * 0xffffffff), Math.floor(random() * 0xffffffff)],
  ];
  return pick(choices);
}

interface Case {
  description: string;
  bytes: Uint8Array;
  mustRefuse: boolean;
}

function mutations(base: (typeof bases)[number], count: number): Case[] {
  const { bytes, anatomy } = base;
  const cases: Case[] = [];
  const metadataBytes = anatomy.regions;
  for (let i = 0; i < count; i += 1) {
    const copy = bytes.slice();
    const kind = i % 6;
    if (kind === 0 || kind === 1) {
      // Bit flips: in cluster 0's header area, or anywhere in the tables.
      const region = kind === 0 ? metadataBytes[0] : pick(metadataBytes.slice(1));
      if (region === undefined) continue;
      const flips = 1 + Math.floor(random() * 3);
      const where: number[] = [];
      for (let flip = 0; flip < flips; flip += 1) {
        const offset = region.offsetBytes + Math.floor(random() * Math.min(region.lengthBytes, kind === 0 ? 256 : region.lengthBytes));
        copy[offset] = (copy[offset] ?? 0) ^ (1 << Math.floor(random() * 8));
        where.push(offset);
      }
      cases.push({ description: `${base.name}: bit flips in the ${region.kind} at ${where.join(', ')}`, bytes: copy, mustRefuse: false });
    } else if (kind === 2) {
      const length = random() < 0.5 ? Math.floor(random() * anatomy.metadataEndBytes) : Math.floor(random() * bytes.length);
      cases.push({ description: `${base.name}: truncated to ${length} bytes`, bytes: bytes.slice(0, length), mustRefuse: length < anatomy.metadataEndBytes });
    } else if (kind === 3) {
      const [name, offset, width] = pick(HEADER_FIELDS);
      const [high, low] = hostileValue(bytes.length, anatomy.clusterBytes);
      if (width === 8) setU64(copy, offset, high, low);
      else new DataView(copy.buffer).setUint32(offset, low);
      cases.push({ description: `${base.name}: header ${name} = 0x${width === 8 ? high.toString(16) : ''}${low.toString(16)}`, bytes: copy, mustRefuse: false });
    } else {
      cases.push(hostileEntry(base, copy));
    }
  }
  return cases;
}

/** A table entry changed so the file can only be invalid. */
function hostileEntry(base: (typeof bases)[number], copy: Uint8Array): Case {
  const { anatomy } = base;
  const view = new DataView(copy.buffer);
  const useL1 = random() < 0.3;
  const entry = pick(useL1 ? anatomy.l1EntryOffsets : anatomy.l2EntryOffsets);
  const otherEntry = pick(anatomy.l2EntryOffsets.filter((offset) => offset !== entry).concat(anatomy.l1EntryOffsets.filter((offset) => offset !== entry)));
  const l1 = anatomy.regions.find((region) => region.kind === 'l1');
  const past = Math.ceil(copy.length / anatomy.clusterBytes + 1 + Math.floor(random() * 1000)) * anatomy.clusterBytes;
  const flags = view.getUint32(entry) & 0x80000000;
  const what = pick(['past the end', 'onto the L1 table', 'onto another entry\'s cluster', 'misaligned', 'reserved bits', 'compressed'] as const);
  if (what === 'past the end') setU64(copy, entry, flags | Math.floor(past / 2 ** 32), past % 2 ** 32);
  else if (what === 'onto the L1 table') setU64(copy, entry, flags, l1?.offsetBytes ?? 0);
  else if (what === 'onto another entry\'s cluster') {
    // Another entry's host cluster (an L2 table or data cluster) is claimed already.
    setU64(copy, entry, flags | (view.getUint32(otherEntry) & 0x00ffffff), view.getUint32(otherEntry + 4) & ~0x1ff);
  } else if (what === 'misaligned') view.setUint32(entry + 4, (view.getUint32(entry + 4) | 0x200) >>> 0);
  else if (what === 'reserved bits') view.setUint32(entry, (view.getUint32(entry) | (1 << (24 + Math.floor(random() * 6)))) >>> 0);
  else view.setUint32(entry, (view.getUint32(entry) | 0x40000000) >>> 0);
  // Bit 9 makes an offset misaligned because every base's clusters are larger than 512 bytes;
  // bit 62 is reserved in an L1 entry and means "compressed" in an L2 entry: refused either way.
  return { description: `${base.name}: ${useL1 ? 'L1' : 'L2'} entry at ${entry} ${what}`, bytes: copy, mustRefuse: true };
}

describe(`qcow2 import fuzz (seed ${seed})`, () => {
  it('the bases themselves are accepted', async () => {
    for (const base of bases) expect(await importOutcome(base.bytes, expectation, root, base.name)).toEqual({ accepted: true });
  });

  it('refuses or reads in full each of 1,200 corrupt, truncated or hostile files, never anything else', async () => {
    const cases = bases.flatMap((base) => mutations(base, 400));
    expect(cases.length).toBeGreaterThanOrEqual(1_000);
    let refused = 0;
    for (const testCase of cases) {
      const outcome = await importOutcome(testCase.bytes, expectation, root, testCase.description);
      if (!outcome.accepted) refused += 1;
      else if (testCase.mustRefuse) expect.fail(`${testCase.description}: was accepted, but the file is invalid`);
    }
    // Most mutations break something the import checks; a pass where nearly all are accepted would be vacuous.
    expect(refused).toBeGreaterThan(cases.length * 0.6);
  });
});
