/**
 * Named refusals of the qcow2 import (counter-examples the fuzz suite found or must keep
 * finding): each mutation of a valid Leaflab export is refused with a Qcow2ImportError whose
 * message says what is wrong and, where there is one, the command that fixes it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openQcow2Overlay, planQcow2Export, Qcow2ImportError } from '@/lib/qcow2';
import { collectExport, memoryFile } from '../../support/qcow2';

const SIZE_BYTES = 1024 * 1024;
const ROOT_NAME = 'leaflab-linux-0123456789ab.img';
const CLUSTER = 16384;
// The export's layout for this disk: header, L1, refcount table, refcount block, one L2, data.
const L1_OFFSET = CLUSTER;
const L2_OFFSET = 4 * CLUSTER;
const DATA_OFFSET = 5 * CLUSTER;
const expectation = { sizeBytes: SIZE_BYTES, backingFileNames: [ROOT_NAME, `${'ab'.repeat(32)}.img`] };
let valid: Uint8Array;

beforeAll(async () => {
  const disk = new Uint8Array(SIZE_BYTES).fill(9);
  valid = await collectExport(planQcow2Export({ sizeBytes: SIZE_BYTES, sectorRuns: [[0, 1], [40, 3]], read: async (offset, length) => disk.slice(offset, offset + length) }, { backingFileName: ROOT_NAME, backingUrl: 'https://lab.example/root.img' }));
});

function mutated(change: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = valid.slice();
  change(new DataView(bytes.buffer), bytes);
  return bytes;
}

const cases: [name: string, change: (view: DataView, bytes: Uint8Array) => void, message: RegExp][] = [
  ['wrong magic', (view) => view.setUint32(0, 0x7f454c46), /not a qcow2 image/],
  ['version 2', (view) => view.setUint32(4, 2), /qemu-img amend -f qcow2 -o compat=1\.1/],
  ['version 4', (view) => view.setUint32(4, 4), /version 4/],
  ['cluster_bits 40', (view) => view.setUint32(20, 40), /cluster_bits is 40/],
  ['l1_size 0xffffffff (must not be allocated)', (view) => view.setUint32(36, 0xffffffff), /L1 table has 4294967295 entries/],
  ['l1_size 0', (view) => view.setUint32(36, 0), /L1 table has 0 entries/],
  ['L1 offset past the end', (view) => view.setUint32(44, 1 << 30), /L1 table .* past the end/],
  ['L1 offset on the header', (view) => view.setUint32(44, 0), /L1 table/],
  ['refcount_table_clusters 0xffffffff', (view) => view.setUint32(56, 0xffffffff), /refcount table is 4294967295 clusters/],
  ['refcount table on the L1 table', (view) => view.setUint32(52, L1_OFFSET), /overlaps/],
  ['backing_file_size 0xffffffff', (view) => view.setUint32(16, 0xffffffff), /backing file name .* outside the header cluster/],
  ['no backing file', (view) => view.setUint32(16, 0), /no backing file.*qemu-img create -f qcow2 -b leaflab-linux-0123456789ab\.img -F raw/],
  ['header_length 0xfffffff8', (view) => view.setUint32(100, 0xfffffff8), /header_length/],
  ['a header extension longer than the cluster', (view) => view.setUint32(116, 0xfffffff0), /header extension 0xe2792aca/],
  ['unknown incompatible feature bit 5', (view) => view.setUint32(76, 0x30), /incompatible features Leaflab does not know/],
  ['dirty bit', (view) => view.setUint32(76, 0x11), /qemu-img check -r all/],
  ['corrupt bit', (view) => view.setUint32(76, 0x12), /marked this qcow2 image corrupt/],
  ['external data file bit', (view) => view.setUint32(76, 0x14), /external data file/],
  ['zstd compression type', (view, bytes) => { view.setUint32(76, 0x18); bytes[104] = 1; }, /compression type 1/],
  ['encrypted', (view) => view.setUint32(32, 1), /encrypted/],
  ['an internal snapshot', (view) => view.setUint32(60, 1), /qemu-img snapshot -d/],
  ['virtual size 2^64 - 1', (view) => { view.setUint32(24, 0xffffffff); view.setUint32(28, 0xffffffff); }, /virtual size is larger than any real file/],
  ['virtual size of another root', (view) => view.setUint32(28, 2 * SIZE_BYTES), /2097152 bytes, but this lab's root image is 1048576 bytes/],
  ['backing format qcow2', (_, bytes) => bytes.set(new TextEncoder().encode('qco'), 120), /"qco".*qemu-img rebase -u -b leaflab-linux-0123456789ab\.img -F raw/],
  ['another root\'s name', (_, bytes) => bytes.set(new TextEncoder().encode('other'), bytes.indexOf(0x6c, 176)), /backing file is "other.*this lab's root image is "leaflab-linux-0123456789ab\.img".*qemu-img rebase -u -b leaflab-linux-0123456789ab\.img -F raw/],
  ['backing name not UTF-8', (_, bytes) => { bytes[bytes.indexOf(0x6c, 176)] = 0xff; }, /not valid UTF-8/],
  ['L1 entry pointing at the L1 table', (view) => view.setUint32(L1_OFFSET + 4, L1_OFFSET), /overlaps/],
  ['L1 entry with reserved bits', (view) => view.setUint32(L1_OFFSET, 0x81000000), /L1 entry 0 has reserved bits/],
  ['L2 entry past the end of the file', (view) => view.setUint32(L2_OFFSET, 0x80000001), /past the end/],
  ['L2 entry misaligned', (view) => view.setUint32(L2_OFFSET + 4, DATA_OFFSET + 512), /not aligned/],
  ['L2 entry on the refcount block', (view) => view.setUint32(L2_OFFSET + 4, 3 * CLUSTER), /overlaps/],
  ['two L2 entries on one data cluster', (view) => { view.setUint32(L2_OFFSET + 16, 0x80000000); view.setUint32(L2_OFFSET + 20, DATA_OFFSET); view.setUint32(L2_OFFSET + 28, 1); }, /overlaps/],
  ['L2 entry compressed', (view) => view.setUint32(L2_OFFSET, 0xc0000000), /compressed clusters.*qemu-img convert.*no -c/],
  ['L2 subcluster both allocated and zero', (view) => view.setUint32(L2_OFFSET + 8, 1), /both allocated and zero/],
  ['L2 subclusters allocated without a host cluster', (view) => { view.setUint32(L2_OFFSET, 0); view.setUint32(L2_OFFSET + 4, 0); }, /no host cluster/],
  ['L2 zero flag in an extended entry (reserved)', (view) => view.setUint32(L2_OFFSET + 4, DATA_OFFSET | 1), /reserved bits/],
];

describe('qcow2 import refuses with a message', () => {
  it('the unmutated export is accepted (so every refusal below is the mutation\'s)', async () => {
    const overlay = await openQcow2Overlay(memoryFile(valid), expectation);
    expect(overlay.sectorRuns).toEqual([[0, 1], [40, 3]]);
    // The sha256 file name is accepted as the same root.
    expect((await openQcow2Overlay(memoryFile(valid), { ...expectation, backingFileNames: [`${'ab'.repeat(32)}.img`, ROOT_NAME] })).backingFileName).toBe(ROOT_NAME);
  });

  for (const [name, change, message] of cases) {
    it(name, async () => {
      const error = await openQcow2Overlay(memoryFile(mutated(change)), expectation).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Qcow2ImportError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('a file truncated anywhere inside its metadata, or empty', async () => {
    for (const length of [0, 50, 103, 104, 200, CLUSTER - 1, CLUSTER + 8, 3 * CLUSTER + 100, L2_OFFSET + 100, DATA_OFFSET]) {
      const error = await openQcow2Overlay(memoryFile(valid.slice(0, length)), expectation).catch((caught: unknown) => caught);
      expect(error, `truncated to ${length}`).toBeInstanceOf(Qcow2ImportError);
    }
  });
});
