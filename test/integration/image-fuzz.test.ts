/**
 * 10,000 random requests against a real server.ts process: random, malformed, multiple, suffix
 * and huge Range headers; If-Range, If-None-Match, If-Match and the date preconditions; valid,
 * hostile and percent-encoded paths, `..` included. No reply may be a 5xx, every byte a reply
 * carries must be the resource's own at the offsets its Content-Range claims, and the process
 * must stay up. The seed is printed on failure (LEAFLAB_FUZZ_SEED=<seed> replays it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkTableOf, manifestFor, writeImageFolder } from '../support/catalog-folder';
import { keepAliveAgent, rawRequest, type RawReply } from './support/raw-http';
import { ServerProcess } from './support/server-process';

const REQUESTS = 10_000;
const CLIENTS = 8;
const CHUNK = 4096;
const seed = Number(process.env.LEAFLAB_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const work = mkdtempSync(path.join(tmpdir(), 'leaflab-image-fuzz-'));
const catalog = path.join(work, 'catalog');
let server: ServerProcess;

/** Two images: one with a short last chunk, one whole; each disk and chunk table is a resource. */
const images = ['img', 'other'].map((id, index) => {
  const disk = randomBytes(index === 0 ? 24 * CHUNK + 512 : 8 * CHUNK);
  const manifest = manifestFor(id, disk, CHUNK);
  const sha256 = String(manifest.sha256);
  const table = chunkTableOf(disk, CHUNK);
  return { id, disk, manifest, sha256, table, etag: `"sha256-${sha256}"`, tableEtag: `"sha256-${(manifest.chunkDigests as { sha256: string }).sha256}"` };
});
/** Every ETag the server may send with bytes, and the bytes it names. */
const resourceByEtag = new Map(images.flatMap((image) => [[image.etag, image.disk] as const, [image.tableEtag, image.table] as const]));

beforeAll(async () => {
  for (const image of images) writeImageFolder(catalog, image.id, image.disk, image.manifest, { chunkSizeBytes: CHUNK });
  server = await ServerProcess.start(catalog);
}, 90_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function generator(initial: number) {
  let state = initial >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Random = ReturnType<typeof generator>;

const HUGE = ['18446744073709551616', '99999999999999999999999999', '9007199254740993', '4294967296', '1e3', '0x10', '-0', '00000000000000000001'];

function position(random: Random, sizeBytes: number): string {
  const roll = random.next();
  if (roll < 0.6) return String(random.int(sizeBytes + 2));
  if (roll < 0.75) return String(sizeBytes - 1 + random.int(3));
  if (roll < 0.9) return String(random.int(2 ** 40));
  return random.pick(HUGE);
}

function rangeSpec(random: Random, sizeBytes: number): string {
  const roll = random.next();
  if (roll < 0.5) return `${position(random, sizeBytes)}-${position(random, sizeBytes)}`;
  if (roll < 0.65) return `${position(random, sizeBytes)}-`;
  if (roll < 0.8) return `-${position(random, sizeBytes)}`;
  return random.pick(['', '-', '--1', '1-2-3', 'a-b', ' 1 - 2 ', '1 -2', '+1-2', '1-+2', '0x1-0x2', '٣-٤'.normalize('NFKD').replace(/[^\x20-\x7e]/g, '3')]);
}

function rangeHeader(random: Random, sizeBytes: number): string {
  const roll = random.next();
  if (roll < 0.55) return `bytes=${rangeSpec(random, sizeBytes)}`;
  if (roll < 0.75) return `bytes=${Array.from({ length: 2 + random.int(4) }, () => rangeSpec(random, sizeBytes)).join(random.pick([',', ', ', ' ,', ',,']))}`;
  if (roll < 0.8) return `bytes=${Array.from({ length: 200 }, () => rangeSpec(random, sizeBytes)).join(',')}`;
  return random.pick(['bytes=', 'bytes', 'Bytes=0-10', 'BYTES=-5', 'bytes =0-1', 'bytes= 0-1', 'items=0-1', 'bytes=0-1;q=1', 'bytes=0-1 bytes=2-3', ',bytes=0-1', 'bytes=0-1,', '=0-1', 'bytes==0-1', 'bytes=0-1\t', 'none']);
}

function entityTag(random: Random, image: (typeof images)[number]): string {
  return random.pick([image.etag, `W/${image.etag}`, image.tableEtag, '"sha256-0000"', '*', `"${image.sha256}"`, 'garbage', `${image.etag}, "x"`, `"x", W/${image.etag}`, '""', 'W/""', image.etag.slice(1), `${image.etag} ${image.etag}`]);
}

const DATES = ['Wed, 21 Oct 2015 07:28:00 GMT', 'Thu, 01 Jan 2099 00:00:00 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT', 'yesterday', '0', ''];

function randomPath(random: Random): string {
  const image = random.pick(images);
  const roll = random.next();
  if (roll < 0.35) return `/images/${image.id}/${image.sha256}.img`;
  if (roll < 0.5) return `/images/${image.id}/disk.img`;
  if (roll < 0.6) return `/images/${image.id}/${image.sha256}.chunks`;
  if (roll < 0.7) {
    return random.pick([
      `/images/${image.id}/${image.sha256.toUpperCase()}.img`,
      `/images/${image.id}/${'0'.repeat(64)}.img`,
      `/images/${image.id}/${images[0]!.sha256 === image.sha256 ? images[1]!.sha256 : images[0]!.sha256}.img`,
      `/images/${image.id}/disk.img/`,
      `/images/${image.id}//disk.img`,
      `/images//${image.id}/disk.img`,
      `/images/${image.id}/disk.img?x=1&y=../../etc/passwd`,
      `/images/${image.id}/disk.img;type=a`,
      `/images/${image.id}/DISK.IMG`,
      `/images/${image.id}/chunks.sha256`,
      `/images/${image.id}/manifest.json`,
      `/images/${image.id}/${image.sha256}.chunks.img`,
      `/images/${image.id.toUpperCase()}/disk.img`,
      `/images/${image.id}%2fdisk.img`,
      `/images/${image.id}/disk%2eimg`,
      `/images/${image.id}/%64isk.img`,
    ]);
  }
  if (roll < 0.9) {
    return random.pick([
      '/images/../package.json',
      '/images/../../../../etc/passwd',
      `/images/${image.id}/../../package.json`,
      `/images/${image.id}/../${image.id}/disk.img`,
      '/images/%2e%2e/package.json',
      '/images/%2e%2e/%2e%2e/etc/passwd',
      `/images/${image.id}/%2e%2e%2fmanifest.json`,
      `/images/${image.id}%2f..%2f..%2fpackage.json/disk.img`,
      '/images/..%5c..%5cpackage.json/disk.img',
      `/images/${image.id}/..%2f..%2f..%2fetc%2fpasswd`,
      `/images/${image.id}/%00`,
      `/images/${image.id}%00/disk.img`,
      '/images/%ff%fe/disk.img',
      '/images/%c0%ae%c0%ae/package.json',
      '/images/%252e%252e/package.json',
      `/images/${'a'.repeat(3000)}/disk.img`,
      '/images/.hidden/disk.img',
      '/images/.adding-x-1/disk.img',
      '/images/',
      '/images/img',
      '/images/img/',
      '/images/img/disk.img/..',
      '/images/./img/disk.img',
      '/images/%',
      '/images/%zz/disk.img',
    ]);
  }
  // Random bytes of a URL path, percent escapes and separators included.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-._~%2F%2e%00/..:@!$&\'()*+,;=';
  return `/images/${Array.from({ length: 1 + random.int(40) }, () => alphabet[random.int(alphabet.length)]).join('')}`;
}

function randomRequest(random: Random): { method: string; path: string; headers: Record<string, string> } {
  const image = random.pick(images);
  const method = random.next() < 0.8 ? 'GET' : random.pick(['HEAD', 'HEAD', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH']);
  const headers: Record<string, string> = {};
  if (random.next() < 0.75) headers.Range = rangeHeader(random, random.pick([image.disk.length, image.table.length]));
  if (random.next() < 0.2) headers['If-Range'] = random.next() < 0.7 ? entityTag(random, image) : random.pick(DATES);
  if (random.next() < 0.1) headers['If-None-Match'] = entityTag(random, image);
  if (random.next() < 0.1) headers['If-Match'] = entityTag(random, image);
  if (random.next() < 0.05) headers['If-Modified-Since'] = random.pick(DATES);
  if (random.next() < 0.05) headers['If-Unmodified-Since'] = random.pick(DATES);
  return { method, path: randomPath(random), headers };
}

/** What is wrong with a reply, or undefined. */
function problemOf(method: string, reply: RawReply): string | undefined {
  if (reply.status >= 500) return `a ${reply.status}: ${reply.body.toString().slice(0, 300)}`;
  if (!reply.complete) return 'a reply cut short';
  const etag = reply.headers.etag === undefined ? undefined : String(reply.headers.etag);
  const resource = etag === undefined ? undefined : resourceByEtag.get(etag);
  if (reply.status === 200 || reply.status === 206) {
    if (!resource) return `a ${reply.status} with ETag ${etag}, which names no resource`;
    let [first, last] = [0, resource.length - 1];
    if (reply.status === 206) {
      const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(reply.headers['content-range']));
      if (!match) return `Content-Range ${reply.headers['content-range']}`;
      [first, last] = [Number(match[1]), Number(match[2])];
      if (Number(match[3]) !== resource.length || first > last || last >= resource.length) return `Content-Range ${match[0]} for ${resource.length} bytes`;
    } else if (reply.headers['content-range'] !== undefined) {
      return 'a 200 with Content-Range';
    }
    if (Number(reply.headers['content-length']) !== last - first + 1) return `Content-Length ${reply.headers['content-length']} for bytes ${first}-${last}`;
    if (method === 'HEAD') return reply.body.length === 0 ? undefined : 'a body for HEAD';
    if (!reply.body.equals(resource.subarray(first, last + 1))) return `bytes other than the resource's ${first}-${last}`;
    return undefined;
  }
  // A 416 is a plain reply without an ETag; its Content-Range must give one of the resources' sizes.
  const sizes = [...resourceByEtag.values()].map((bytes) => `bytes */${bytes.length}`);
  if (reply.status === 416 && !sizes.includes(String(reply.headers['content-range']))) return `a 416 with Content-Range ${reply.headers['content-range']}`;
  if (reply.status === 304 && reply.body.length > 0) return 'a 304 with a body';
  const text = reply.body.toString('latin1');
  if (text.includes('root:x:0:0') || text.includes('"name": "leaflab"') || text.includes('"sha256"')) return 'a file from outside the images';
  if (String(reply.headers['content-type'] ?? '').startsWith('application/octet-stream') && reply.status !== 304) return `octet-stream bytes with status ${reply.status}`;
  return undefined;
}

describe('the image server under 10,000 random requests', () => {
  it('never answers 5xx, never sends a byte that is not the resource’s own, and stays up', async () => {
    const random = generator(seed);
    const requests = Array.from({ length: REQUESTS }, () => randomRequest(random));
    const agent = keepAliveAgent(CLIENTS);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let connectionErrors = 0;
    let nextIndex = 0;
    const startedAtMs = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (nextIndex < requests.length && failures.length < 20) {
          const { method, path: requestPath, headers } = requests[nextIndex++]!;
          let reply: RawReply;
          try {
            reply = await rawRequest(agent, server.port, method, requestPath, headers);
          } catch (error) {
            // A connection the server closed after a 4xx it sends with Connection: close, raced by reuse.
            connectionErrors += 1;
            if (connectionErrors > 20) failures.push(`${method} ${requestPath}: ${(error as Error).message}`);
            continue;
          }
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const problem = problemOf(method, reply);
          if (problem) failures.push(`${method} ${requestPath} ${JSON.stringify(headers)} -> ${reply.status}: ${problem}`);
        }
      }),
    );
    agent.destroy();
    const elapsedS = (Date.now() - startedAtMs) / 1000;
    const summary = `seed ${seed}, ${elapsedS.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}, connection errors ${connectionErrors}`;
    console.log(`image-fuzz: ${summary}`);
    expect(failures, summary).toEqual([]);
    expect([...statuses.values()].reduce((sum, count) => sum + count, 0) + connectionErrors, summary).toBe(REQUESTS);
    // The generator reached every kind of answer, so each rule above was exercised.
    for (const status of [200, 204, 206, 304, 404, 405, 412, 416]) expect(statuses.get(status) ?? 0, `${summary}: status ${status}`).toBeGreaterThan(10);

    expect(server.running, server.output).toBe(true);
    const probe = await rawRequest(keepAliveAgent(1), server.port, 'GET', `/images/img/${images[0]!.sha256}.img`, { Range: 'bytes=100-199' });
    expect([probe.status, probe.body.equals(images[0]!.disk.subarray(100, 200))]).toEqual([206, true]);
    expect(server.output).not.toMatch(/Unhandled|uncaught|ERR_HTTP_HEADERS_SENT|ERR_STREAM/i);
  }, 120_000);
});
