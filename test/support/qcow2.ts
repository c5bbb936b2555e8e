/** Helpers the qcow2 tests share: in-memory files, collected exports, overlays applied to a root. */
import { overlayLeafBlocks, type Qcow2ExportPlan, type Qcow2Overlay, type RandomAccessFile, type SectorRun } from '@/lib/qcow2';
import { hasSector } from '@/lib/disk/sector-bitmap';

export function memoryFile(bytes: Uint8Array): RandomAccessFile {
  return { sizeBytes: bytes.length, read: async (offsetBytes, lengthBytes) => bytes.slice(offsetBytes, offsetBytes + lengthBytes) };
}

export async function collectExport(plan: Qcow2ExportPlan): Promise<Uint8Array> {
  const file = new Uint8Array(plan.sizeBytes);
  let offset = 0;
  for await (const piece of plan.pieces()) {
    file.set(piece, offset);
    offset += piece.length;
  }
  if (offset !== plan.sizeBytes) throw new Error(`the export yielded ${offset} bytes, its plan said ${plan.sizeBytes}`);
  return file;
}

/** The root with every leaf block record of the overlay written over it, sector by sector. */
export async function applyOverlay(root: Uint8Array, overlay: Qcow2Overlay, blockSizeBytes = 32 * 1024): Promise<Uint8Array> {
  const merged = root.slice();
  let lastBlock = -1;
  for await (const batch of overlayLeafBlocks(overlay, blockSizeBytes)) {
    for (const record of batch) {
      if (record.blockIndex <= lastBlock) throw new Error(`leaf block ${record.blockIndex} came after ${lastBlock}`);
      lastBlock = record.blockIndex;
      if (record.data.length !== blockSizeBytes) throw new Error(`leaf block ${record.blockIndex} has ${record.data.length} bytes`);
      for (let sector = 0; sector < blockSizeBytes / 512; sector += 1) {
        if (!hasSector(record.validSectors, sector)) continue;
        merged.set(record.data.subarray(sector * 512, (sector + 1) * 512), record.blockIndex * blockSizeBytes + sector * 512);
      }
    }
  }
  return merged;
}

/** mulberry32: seeded, so a failing case can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random sorted, non-overlapping runs: single sectors, runs across 16 KiB clusters, and the disk's last sector. */
export function randomSectorRuns(random: () => number, diskSectors: number, count: number): SectorRun[] {
  const starts = new Set<number>([diskSectors - 1]);
  const runs: [number, number][] = [];
  for (let i = 0; i < count; i += 1) starts.add(Math.floor(random() * diskSectors));
  let previousEnd = 0;
  for (const start of [...starts].sort((a, b) => a - b)) {
    if (start < previousEnd) continue;
    const length = random() < 0.4 ? 1 : 1 + Math.floor(random() * 100);
    const sectorCount = Math.min(length, diskSectors - start);
    // No gap after a run: the next one may start right there (adjacent runs, as a caller may pass).
    runs.push([start, sectorCount]);
    previousEnd = start + sectorCount;
  }
  return runs;
}

/** Adjacent runs merged: the form an overlay's sectorRuns takes. */
export function mergeAdjacentRuns(runs: readonly SectorRun[]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [first, count] of runs) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last[0] + last[1] === first) last[1] += count;
    else merged.push([first, count]);
  }
  return merged;
}

/** The root with random bytes over the runs; what the overlay's export must reproduce. */
export function mergedWithRandomWrites(root: Uint8Array, runs: readonly SectorRun[], random: () => number): Uint8Array {
  const merged = root.slice();
  for (const [first, count] of runs) {
    for (let i = first * 512; i < (first + count) * 512; i += 1) merged[i] = Math.floor(random() * 256);
  }
  return merged;
}

/** The first byte offset where the arrays differ (or the shorter length), -1 when equal; fast where toEqual is not. */
export function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))) return -1;
  const length = Math.min(actual.length, expected.length);
  for (let i = 0; i < length; i += 1) if (actual[i] !== expected[i]) return i;
  return length;
}
