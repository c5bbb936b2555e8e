/**
 * Which browser store the persistent root chunk cache uses (issue #12): IndexedDB, the Cache API
 * and OPFS, each writing and reading 64 KiB chunks in runs of 16 (what one readahead request
 * brings) on the page's main thread, where RangeSource runs. Prints the figures the choice in
 * lib/disk/root-chunk-cache-idb.ts rests on, and checks every store gives the bytes back.
 */
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { patternBytes } from '../unit/disk/helpers/bytes';

const CHUNK = 64 * 1024;
const RUN_CHUNKS = 16;
const RUNS = 16; // 16 MiB per store

interface Backend {
  name: string;
  writeRun(firstChunk: number, chunks: Uint8Array[]): Promise<void>;
  readRun(firstChunk: number, count: number): Promise<Uint8Array[]>;
  dispose(): Promise<void>;
}

async function indexedDbBackend(): Promise<Backend> {
  const name = `root-cache-bench-${Math.random().toString(36).slice(2)}`;
  const db = await openDB(name, 1, { upgrade: (d) => d.createObjectStore('chunks') });
  return {
    name: 'IndexedDB (one transaction per run)',
    async writeRun(firstChunk, chunks) {
      const tx = db.transaction('chunks', 'readwrite');
      chunks.forEach((bytes, i) => void tx.store.put(bytes, firstChunk + i));
      await tx.done;
    },
    async readRun(firstChunk, count) {
      const tx = db.transaction('chunks', 'readonly');
      return Promise.all(Array.from({ length: count }, (_, i) => tx.store.get(firstChunk + i) as Promise<Uint8Array>));
    },
    async dispose() {
      db.close();
      indexedDB.deleteDatabase(name);
    },
  };
}

async function cacheApiBackend(): Promise<Backend> {
  const name = `root-cache-bench-${Math.random().toString(36).slice(2)}`;
  const cache = await caches.open(name);
  const url = (chunkIndex: number) => `/root-cache-bench/${chunkIndex}`;
  return {
    name: 'Cache API (one Response per chunk)',
    async writeRun(firstChunk, chunks) {
      await Promise.all(chunks.map((bytes, i) => cache.put(url(firstChunk + i), new Response(bytes as Uint8Array<ArrayBuffer>))));
    },
    async readRun(firstChunk, count) {
      return Promise.all(
        Array.from({ length: count }, async (_, i) => new Uint8Array(await (await cache.match(url(firstChunk + i)))!.arrayBuffer())),
      );
    },
    async dispose() {
      await caches.delete(name);
    },
  };
}

async function opfsBackend(): Promise<Backend> {
  const root = await navigator.storage.getDirectory();
  const name = `root-cache-bench-${Math.random().toString(36).slice(2)}`;
  const folder = await root.getDirectoryHandle(name, { create: true });
  return {
    name: 'OPFS (one file per chunk, createWritable on the main thread)',
    async writeRun(firstChunk, chunks) {
      await Promise.all(
        chunks.map(async (bytes, i) => {
          const writable = await (await folder.getFileHandle(String(firstChunk + i), { create: true })).createWritable();
          await writable.write(bytes as Uint8Array<ArrayBuffer>);
          await writable.close();
        }),
      );
    },
    async readRun(firstChunk, count) {
      return Promise.all(
        Array.from({ length: count }, async (_, i) => new Uint8Array(await (await (await folder.getFileHandle(String(firstChunk + i))).getFile()).arrayBuffer())),
      );
    },
    async dispose() {
      await root.removeEntry(name, { recursive: true });
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

describe('persistent stores for 64 KiB root chunks in Chromium', () => {
  it('measures write and read time of each store, and each gives the bytes back', async () => {
    const runs = Array.from({ length: RUNS }, (_, r) => Array.from({ length: RUN_CHUNKS }, (_, i) => patternBytes(CHUNK, r * RUN_CHUNKS + i + 1)));
    const lines: string[] = [];
    for (const make of [indexedDbBackend, cacheApiBackend, opfsBackend]) {
      const backend = await make();
      try {
        const writeStart = performance.now();
        for (let r = 0; r < RUNS; r += 1) await backend.writeRun(r * RUN_CHUNKS, runs[r]!);
        const writeMs = performance.now() - writeStart;
        const readStart = performance.now();
        const readBack: Uint8Array[][] = [];
        for (let r = 0; r < RUNS; r += 1) readBack.push(await backend.readRun(r * RUN_CHUNKS, RUN_CHUNKS));
        const readMs = performance.now() - readStart;
        expect(readBack.every((run, r) => run.every((bytes, i) => sameBytes(bytes, runs[r]![i]!)))).toBe(true);
        const chunks = RUNS * RUN_CHUNKS;
        lines.push(
          `${backend.name}: write ${(writeMs / chunks).toFixed(3)} ms/chunk (${(writeMs / RUNS).toFixed(1)} ms/run), ` +
            `read ${(readMs / chunks).toFixed(3)} ms/chunk (${(readMs / RUNS).toFixed(1)} ms/run)`,
        );
      } finally {
        await backend.dispose();
      }
    }
    console.log(`64 KiB chunks, ${RUNS} runs of ${RUN_CHUNKS}:\n${lines.join('\n')}`);
    expect(lines).toHaveLength(3);
  }, 180_000);
});
