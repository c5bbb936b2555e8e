/**
 * The leaf bench (issue #12, "a leaf that scales"), on Chromium's real IndexedDB:
 *
 *   open       opening a leaf with 100,000 mapped 4 KiB blocks (metadata and paged sector
 *              map, no block): wall time in the page, and the heap it keeps, measured over CDP
 *              (HeapProfiler.collectGarbage, then Runtime.getHeapUsage before and after; V8
 *              heap plus ArrayBuffer backing stores where Chromium reports them).
 *              Targets ≤ 300 ms and ≤ 5 MiB.
 *   amplify    4 KiB random writes, each awaited (a strict-durability commit per write), at the
 *              default 4 KiB blocks and at the old 32 KiB: bytes the store put into IndexedDB /
 *              bytes written (the store's counter). Target ≤ 2×.
 *
 * The page half is leaf-bench-page.ts, bundled with esbuild and served from a throwaway HTTP
 * server on a free port (IndexedDB needs a real origin). Run: BENCH_ONLY=leaf npm run bench.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { chromiumArgs, chromiumExecutable } from '../../playwright.config';
import { medianWithRange } from './bench-stats';

const MAPPED_BLOCKS = 100_000;
const AMPLIFY_WRITES = 300;
const MIB = 1024 * 1024;

interface LeafBenchApi {
  createLeaf(storageId: string, blockCount: number): Promise<number>;
  createLegacyLeaf(storageId: string, blockCount: number): Promise<number>;
  openLegacyKept(storageId: string, expectedBlocks: number): Promise<number>;
  openKept(storageId: string, expectedBlocks: number): Promise<number>;
  openDeviceKept(storageId: string, expectedBlocks: number): Promise<number>;
  dropKept(): Promise<void>;
  amplification(storageId: string, blockSizeBytes: number, writes: number): Promise<{ ratio: number; msPerWrite: number }>;
  destroy(storageId: string): Promise<void>;
  keptSectorMapBytes(): number;
}
declare const LeafBench: LeafBenchApi;

interface LeafFigure {
  label: string;
  unit: string;
  target: string;
  values: number[];
  digits: number;
}

async function pageBundle(): Promise<string> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'leaf-bench-page.ts');
  const result = await build({ entryPoints: [entry], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false });
  return result.outputFiles[0]!.text;
}

function serve(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === '/leaf-bench.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>leaf bench</title><script src="/leaf-bench.js"></script>');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` });
  }));
}

/** Whether Chromium reported ArrayBuffer backing stores (Runtime.getHeapUsage's backingStorageSize). */
let backingStoresCounted = false;

/** Retained heap in bytes: V8's used heap plus ArrayBuffer backing stores, after a full GC. */
async function heapBytes(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
  await cdp.detach();
  backingStoresCounted = usage.backingStorageSize !== undefined;
  return usage.usedSize + (usage.backingStorageSize ?? 0);
}

/** Runs the leaf bench for `rounds` rounds; returns its table. */
export async function leafBenchReport(rounds: number): Promise<string> {
  const { server, url } = await serve(await pageBundle());
  const profile = mkdtempSync(path.join(tmpdir(), 'leaflab-leaf-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumExecutable, args: chromiumArgs, headless: true });
  const openMs: number[] = [];
  const openHeapMib: number[] = [];
  const mapMib: number[] = [];
  const deviceMs: number[] = [];
  const legacyOpenMs: number[] = [];
  const legacyHeapMib: number[] = [];
  const migrationMs: number[] = [];
  const deviceHeapMib: number[] = [];
  const amplification4k: number[] = [];
  const amplification32k: number[] = [];
  const msPerWrite4k: number[] = [];
  let createMs = 0;
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => typeof (globalThis as { LeafBench?: unknown }).LeafBench === 'object');
    createMs = await page.evaluate(([id, blocks]) => LeafBench.createLeaf(id, blocks), ['big', MAPPED_BLOCKS] as const);
    console.log(`bench leaf: wrote a leaf of ${MAPPED_BLOCKS} blocks in ${(createMs / 1000).toFixed(1)} s`);
    // Before: the same leaf in the old layout, opened the old way (every per-block record), then
    // opened once by this code, which migrates it (a single figure: a leaf migrates once).
    await page.evaluate(([id, blocks]) => LeafBench.createLegacyLeaf(id, blocks), ['old', MAPPED_BLOCKS] as const);
    const beforeLegacy = await heapBytes(page);
    legacyOpenMs.push(await page.evaluate(([id, blocks]) => LeafBench.openLegacyKept(id, blocks), ['old', MAPPED_BLOCKS] as const));
    legacyHeapMib.push(((await heapBytes(page)) - beforeLegacy) / MIB);
    await page.evaluate(() => LeafBench.dropKept());
    migrationMs.push(await page.evaluate(([id, blocks]) => LeafBench.openKept(id, blocks), ['old', MAPPED_BLOCKS] as const));
    await page.evaluate(() => LeafBench.dropKept());
    await page.evaluate(() => LeafBench.destroy('old'));
    for (let round = 0; round < rounds; round += 1) {
      const before = await heapBytes(page);
      openMs.push(await page.evaluate(([id, blocks]) => LeafBench.openKept(id, blocks), ['big', MAPPED_BLOCKS] as const));
      openHeapMib.push(((await heapBytes(page)) - before) / MIB);
      mapMib.push((await page.evaluate(() => LeafBench.keptSectorMapBytes())) / MIB);
      await page.evaluate(() => LeafBench.dropKept());
      const beforeDevice = await heapBytes(page);
      deviceMs.push(await page.evaluate(([id, blocks]) => LeafBench.openDeviceKept(id, blocks), ['big', MAPPED_BLOCKS] as const));
      deviceHeapMib.push(((await heapBytes(page)) - beforeDevice) / MIB);
      await page.evaluate(() => LeafBench.dropKept());
      const small = await page.evaluate(([id, writes]) => LeafBench.amplification(id, 4096, writes), [`amp4k-${round}`, AMPLIFY_WRITES] as const);
      amplification4k.push(small.ratio);
      msPerWrite4k.push(small.msPerWrite);
      amplification32k.push((await page.evaluate(([id, writes]) => LeafBench.amplification(id, 32 * 1024, writes), [`amp32k-${round}`, AMPLIFY_WRITES] as const)).ratio);
      console.log(`bench leaf: round ${round + 1} of ${rounds} done`);
    }
    await page.evaluate(() => LeafBench.destroy('big'));
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const figures: LeafFigure[] = [
    { label: `open a leaf of ${MAPPED_BLOCKS.toLocaleString('en')} mapped 4 KiB blocks: time`, unit: 'ms', target: '≤ 300 ms', values: openMs, digits: 0 },
    { label: `… heap kept (${backingStoresCounted ? 'V8 heap + ArrayBuffers' : 'V8 heap only: no backingStorageSize'}, after GC)`, unit: 'MiB', target: '≤ 5 MiB', values: openHeapMib, digits: 2 },
    { label: '… of which the sector map pages', unit: 'MiB', target: '–', values: mapMib, digits: 2 },
    { label: '… the whole UnionDevice over it (2 GiB disk, no frozen layers): time', unit: 'ms', target: '–', values: deviceMs, digits: 0 },
    { label: '… the whole UnionDevice: heap kept', unit: 'MiB', target: '–', values: deviceHeapMib, digits: 2 },
    { label: 'before: the same leaf in the old layout (a map record per block), its map loaded: time', unit: 'ms', target: '–', values: legacyOpenMs, digits: 0 },
    { label: '… heap kept by the old per-block map', unit: 'MiB', target: '–', values: legacyHeapMib, digits: 2 },
    { label: '… first open of the old leaf by this code (migrates it, once)', unit: 'ms', target: '–', values: migrationMs, digits: 0 },
    { label: `write amplification, ${AMPLIFY_WRITES} random 4 KiB writes, flush each, 4 KiB blocks`, unit: '×', target: '≤ 2×', values: amplification4k, digits: 3 },
    { label: '… the same with the old 32 KiB blocks', unit: '×', target: '–', values: amplification32k, digits: 3 },
    { label: '… time per write (strict commit), 4 KiB blocks', unit: 'ms', target: '–', values: msPerWrite4k, digits: 1 },
  ];
  const rows = figures.map((f) => `| ${f.label} | ${medianWithRange(f.values, f.digits)} ${f.unit} | ${f.target} |`);
  return [
    `| leaf (issue #12), real IndexedDB in Chromium; the leaf took ${(createMs / 1000).toFixed(0)} s to write | median [range] over ${rounds} round(s) | target |`,
    '|---|---:|---|',
    ...rows,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await leafBenchReport(Number(process.env.BENCH_ROUNDS ?? 3)));
}
