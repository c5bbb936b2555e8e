#!/usr/bin/env node
// Writes catalog/<id>/manifest.json for a built disk image. Called by
// build.sh with the facts it knows in environment variables (M_*); the image
// itself is scanned here for its sha-256 and zero chunks. Keys are sorted
// recursively so the file is byte-stable across builds.
// Usage: node image/write-manifest.mjs disk.img manifest.json
import { writeFileSync } from 'node:fs';
import { scanImage } from './zero-chunks.mjs';

const [diskPath, outPath] = process.argv.slice(2);
const env = (name) => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`write-manifest: ${name} is not set`);
  return v;
};
const int = (name) => {
  const n = Number(env(name));
  if (!Number.isSafeInteger(n)) throw new Error(`write-manifest: ${name} is not an integer`);
  return n;
};

const scan = scanImage(diskPath, int('M_CHUNK_SIZE'));
const manifest = {
  id: env('M_ID'),
  title: env('M_TITLE'),
  description: env('M_DESCRIPTION'),
  sizeBytes: scan.sizeBytes,
  sha256: scan.sha256,
  chunkSizeBytes: scan.chunkSizeBytes,
  zeroChunks: scan.zeroChunks,
  boot: { memoryMiB: int('M_MEMORY_MIB'), vgaMemoryMiB: int('M_VGA_MEMORY_MIB'), acpi: true },
  partitions: [
    { index: 1, type: 'FAT16', startSector: int('M_P1_START'), sectorCount: int('M_P1_SECTORS'), label: 'boot' },
    { index: 2, type: 'ext4', startSector: int('M_P2_START'), sectorCount: int('M_P2_SECTORS'), label: 'root' },
  ],
  build: {
    kernelPackage: env('M_KERNEL_PACKAGE'),
    kernelVersion: env('M_KERNEL_VERSION'),
    busyboxVersion: env('M_BUSYBOX_VERSION'),
    sourceDateEpoch: int('M_SOURCE_DATE_EPOCH'),
  },
};

// Recursively sort object keys (arrays keep their order).
const sortKeys = (v) =>
  Array.isArray(v) ? v.map(sortKeys)
  : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]))
  : v;

// Pretty-printed, but each [start, count] pair on one line.
const json = JSON.stringify(sortKeys(manifest), null, 2).replace(/\[\s+(\d+),\s+(\d+)\s+\]/g, '[$1, $2]');
writeFileSync(outPath, json + '\n');
console.log(`manifest: ${outPath} (sha256 ${scan.sha256}, ${scan.zeroChunks.reduce((a, [, n]) => a + n, 0)} zero chunks)`);
