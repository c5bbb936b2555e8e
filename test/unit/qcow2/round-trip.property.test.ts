/**
 * Property tests of the export's offset arithmetic through the import: for random disks and
 * random sector runs, the exported file opens, defines exactly the runs, and reads back exactly
 * the bytes exported; the layout's refcount blocks cover every cluster of the file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openQcow2Overlay, planQcow2Export, type SectorRun } from '@/lib/qcow2';
import { bitRangeMask, exportDataClusters, EXPORT_CLUSTER_BYTES, EXPORT_REFCOUNTS_PER_BLOCK, planExportLayout } from '@/lib/qcow2/export-layout';
import { applyOverlay, collectExport, firstDifference, memoryFile, mergeAdjacentRuns } from '../../support/qcow2';

/** A disk of 1 to 300 sectors (not always whole clusters) and sorted, non-overlapping runs on it. */
const diskAndRuns = fc.integer({ min: 1, max: 300 }).chain((diskSectors) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: diskSectors - 1 }), { maxLength: 12 })
    .chain((starts) => {
      const sorted = [...starts].sort((a, b) => a - b);
      return fc.tuple(fc.constant(diskSectors), fc.constant(sorted), fc.array(fc.integer({ min: 1, max: 80 }), { minLength: sorted.length, maxLength: sorted.length }));
    })
    .map(([disk, starts, lengths]) => {
      const runs: [number, number][] = [];
      starts.forEach((start, index) => {
        const next = starts[index + 1] ?? disk;
        runs.push([start, Math.min(lengths[index] ?? 1, next - start)]);
      });
      return { diskSectors: disk, runs: runs as SectorRun[] };
    }),
);

describe('qcow2 export offset arithmetic', () => {
  it('bitRangeMask sets exactly bits [from, to)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 32 }), (from, width) => {
        const to = Math.min(32, from + width);
        const mask = bitRangeMask(from, to);
        for (let bit = 0; bit < 32; bit += 1) expect(((mask >>> bit) & 1) === 1).toBe(bit >= from && bit < to);
      }),
    );
  });

  it('the data clusters cover exactly the runs, and the refcount blocks every cluster', () => {
    fc.assert(
      fc.property(diskAndRuns, ({ diskSectors, runs }) => {
        const covered = new Set<number>();
        for (const { guestCluster, sectorMask } of exportDataClusters(runs)) {
          for (let bit = 0; bit < 32; bit += 1) if ((sectorMask >>> bit) & 1) covered.add(guestCluster * 32 + bit);
        }
        const expected = new Set(runs.flatMap(([first, count]) => Array.from({ length: count }, (_, i) => first + i)));
        expect([...covered].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
        const layout = planExportLayout(diskSectors * 512, runs);
        expect(layout.refcountBlocks * EXPORT_REFCOUNTS_PER_BLOCK).toBeGreaterThanOrEqual(layout.totalClusters);
        expect(layout.fileSizeBytes).toBe(layout.totalClusters * EXPORT_CLUSTER_BYTES);
        expect(layout.dataOffsetBytes + layout.dataClusters.length * EXPORT_CLUSTER_BYTES).toBe(layout.fileSizeBytes);
      }),
    );
  });

  it('export then import gives back the runs and the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(diskAndRuns, fc.integer({ min: 0, max: 2 ** 31 }), async ({ diskSectors, runs }, seed) => {
        const root = new Uint8Array(diskSectors * 512).fill(0x5a);
        const merged = root.slice();
        let state = seed;
        for (const [first, count] of runs) {
          for (let i = first * 512; i < (first + count) * 512; i += 1) merged[i] = (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
        }
        const plan = planQcow2Export({ sizeBytes: merged.length, sectorRuns: runs, read: async (offset, length) => merged.slice(offset, offset + length) }, { backingFileName: 'root.img', backingUrl: 'https://example.test/root.img' });
        const file = await collectExport(plan);
        const overlay = await openQcow2Overlay(memoryFile(file), { sizeBytes: merged.length, backingFileNames: ['root.img'] });
        expect(overlay.sectorRuns).toEqual(mergeAdjacentRuns(runs));
        expect(overlay.backingUrl).toBe('https://example.test/root.img');
        expect(firstDifference(await applyOverlay(root, overlay, 4096), merged)).toBe(-1);
      }),
      { numRuns: 150 },
    );
  });

  it('a large sparse disk has a multi-cluster L1 and several refcount blocks yet streams only its data', () => {
    // 2^40 bytes: 65536 L1 entries (32 clusters of L1); a run at the very end.
    const sizeBytes = 2 ** 40;
    const layout = planExportLayout(sizeBytes, [[0, 1], [sizeBytes / 512 - 33, 33]]);
    expect(layout.l1Entries).toBe(65536);
    expect(layout.l1Clusters).toBe(32);
    expect(layout.l2TableIndices).toEqual([0, 65535]);
    expect(layout.dataClusters.map((cluster) => cluster.guestCluster)).toEqual([0, sizeBytes / EXPORT_CLUSTER_BYTES - 2, sizeBytes / EXPORT_CLUSTER_BYTES - 1]);
  });

  it('an aborted export stops before its next read', async () => {
    const reads: number[] = [];
    const disk = new Uint8Array(64 * 16384);
    const plan = planQcow2Export({ sizeBytes: disk.length, sectorRuns: [[0, 1], [32 * 10, 1], [32 * 40, 1]], read: async (offset, length) => { reads.push(offset); return disk.slice(offset, offset + length); } }, { backingFileName: 'root.img', backingUrl: '' });
    const controller = new AbortController();
    const pieces: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const piece of plan.pieces(controller.signal)) {
          pieces.push(piece);
          if (reads.length === 1) controller.abort(new Error('user cancelled'));
        }
      })(),
    ).rejects.toThrow('user cancelled');
    expect(reads).toEqual([0]);
  });

  it('refuses runs that are unsorted, overlapping or past the disk', () => {
    expect(() => planExportLayout(4096, [[4, 2], [0, 1]])).toThrow(RangeError);
    expect(() => planExportLayout(4096, [[0, 2], [1, 1]])).toThrow(RangeError);
    expect(() => planExportLayout(4096, [[7, 2]])).toThrow(RangeError);
    expect(() => planExportLayout(1000, [])).toThrow(RangeError);
  });
});
