import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID, defaultManifest } from './support/default-image';

/** RFC 9110 range semantics of the image server, case by case, against the running server. */
const manifest = defaultManifest();
const latestUrl = `/images/${DEFAULT_IMAGE_ID}/disk.img`;
const digestUrl = `/images/${DEFAULT_IMAGE_ID}/${manifest.sha256}.img`;
const etag = `"sha256-${manifest.sha256}"`;
const size = manifest.sizeBytes;

test('a first-and-last range gives 206 with Content-Range and Content-Length', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { Range: 'bytes=512-1023' } });
  expect(response.status()).toBe(206);
  expect(response.headers()['content-range']).toBe(`bytes 512-1023/${size}`);
  expect(response.headers()['content-length']).toBe('512');
  expect((await response.body()).length).toBe(512);
});

test('the MBR range ends in the boot signature 55 AA', async ({ request }) => {
  const body = await (await request.get(latestUrl, { headers: { Range: 'bytes=0-511' } })).body();
  expect([body[510], body[511]]).toEqual([0x55, 0xaa]);
});

test('an open-ended range bytes=N- runs to the end', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { Range: `bytes=${size - 1000}-` } });
  expect(response.status()).toBe(206);
  expect(response.headers()['content-range']).toBe(`bytes ${size - 1000}-${size - 1}/${size}`);
  expect(response.headers()['content-length']).toBe('1000');
});

test('a suffix range bytes=-N gives the last N bytes', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { Range: 'bytes=-300' } });
  expect(response.status()).toBe(206);
  expect(response.headers()['content-range']).toBe(`bytes ${size - 300}-${size - 1}/${size}`);
  expect((await response.body()).length).toBe(300);
});

test('a range past the end is clamped to the image', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { Range: `bytes=${size - 10}-${size + 5000}` } });
  expect(response.status()).toBe(206);
  expect(response.headers()['content-range']).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
});

for (const range of [`bytes=${size}-`, `bytes=${size + 1}-${size + 100}`, 'bytes=-0']) {
  test(`an unsatisfiable range (${range}) gives 416 with Content-Range bytes */SIZE`, async ({ request }) => {
    const response = await request.get(latestUrl, { headers: { Range: range } });
    expect(response.status()).toBe(416);
    expect(response.headers()['content-range']).toBe(`bytes */${size}`);
  });
}

test('HEAD gives the size, Accept-Ranges and the strong ETag, without a body', async ({ request }) => {
  const response = await request.head(latestUrl);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-length']).toBe(String(size));
  expect(response.headers()['accept-ranges']).toBe('bytes');
  expect(response.headers()['etag']).toBe(etag);
  expect((await response.body()).length).toBe(0);
});

test('images are never compressed, even when the client asks', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { Range: 'bytes=0-65535', 'Accept-Encoding': 'gzip, br' } });
  expect(response.headers()['content-encoding']).toBeUndefined();
  expect(response.headers()['cache-control']).toContain('no-transform');
});

test('If-Range with the current ETag gives the range; with another ETag the whole image', async ({ request }) => {
  const matching = await request.get(latestUrl, { headers: { Range: 'bytes=0-99', 'If-Range': etag } });
  expect(matching.status()).toBe(206);
  const stale = await request.head(latestUrl, { headers: { Range: 'bytes=0-99', 'If-Range': '"sha256-0000"' } });
  expect(stale.status()).toBe(200);
  expect(stale.headers()['content-length']).toBe(String(size));
  // RFC 9110: If-Range requires a strong match; a weak validator never selects the range.
  const weak = await request.head(latestUrl, { headers: { Range: 'bytes=0-99', 'If-Range': `W/${etag}` } });
  expect(weak.status()).toBe(200);
});

test('If-None-Match with the current ETag gives 304', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { 'If-None-Match': etag } });
  expect(response.status()).toBe(304);
});

test('the digest-named URL is cached as immutable; the latest URL is revalidated', async ({ request }) => {
  const byDigest = await request.head(digestUrl);
  expect(byDigest.status()).toBe(200);
  expect(byDigest.headers()['cache-control']).toContain('immutable');
  expect(byDigest.headers()['etag']).toBe(etag);
  const latest = await request.head(latestUrl);
  expect(latest.headers()['cache-control']).toContain('no-cache');
  const otherDigest = await request.head(`/images/${DEFAULT_IMAGE_ID}/${'0'.repeat(64)}.img`);
  expect(otherDigest.status()).toBe(404);
});

test('cross-origin clients can read the range headers (CORS)', async ({ request }) => {
  const response = await request.get(latestUrl, { headers: { Range: 'bytes=0-1', Origin: 'http://elsewhere.example' } });
  expect(response.headers()['access-control-allow-origin']).toBe('*');
  expect(response.headers()['access-control-expose-headers']).toContain('Content-Range');
  const preflight = await request.fetch(latestUrl, { method: 'OPTIONS' });
  expect(preflight.status()).toBe(204);
  expect(preflight.headers()['access-control-allow-headers']).toContain('Range');
});

test('the chunk table is served from the verified copy: immutable, its own ETag, with ranges', async ({ request }) => {
  const chunkTableUrl = `/images/${DEFAULT_IMAGE_ID}/${manifest.sha256}.chunks`;
  const table = readFileSync(path.join(process.cwd(), 'catalog', DEFAULT_IMAGE_ID, 'chunks.sha256'));
  const tableEtag = `"sha256-${manifest.chunkDigests.sha256}"`;
  const whole = await request.get(chunkTableUrl);
  expect(whole.status()).toBe(200);
  expect(Buffer.compare(await whole.body(), table)).toBe(0);
  expect(whole.headers()['etag']).toBe(tableEtag);
  expect(whole.headers()['cache-control']).toContain('immutable');
  expect(whole.headers()['content-length']).toBe(String(table.length));
  expect(whole.headers()['access-control-allow-origin']).toBe('*');

  const second = await request.get(chunkTableUrl, { headers: { Range: 'bytes=32-63', 'If-Range': tableEtag } });
  expect(second.status()).toBe(206);
  expect(second.headers()['content-range']).toBe(`bytes 32-63/${table.length}`);
  expect(Buffer.compare(await second.body(), table.subarray(32, 64))).toBe(0);
  expect((await request.head(chunkTableUrl)).headers()['content-length']).toBe(String(table.length));
  expect((await request.get(chunkTableUrl, { headers: { 'If-None-Match': tableEtag } })).status()).toBe(304);
  expect((await request.get(chunkTableUrl, { headers: { Range: `bytes=${table.length}-` } })).status()).toBe(416);
  expect((await request.get(`/images/${DEFAULT_IMAGE_ID}/${'0'.repeat(64)}.chunks`)).status()).toBe(404);
});

test('unknown ids give 404', async ({ request }) => {
  expect((await request.get('/images/no-such-image/disk.img')).status()).toBe(404);
  expect((await request.get(`/images/${DEFAULT_IMAGE_ID}/manifest.json`)).status()).toBe(404);
});

test('nothing outside the catalog is reachable, encoded or not', async ({ baseURL }) => {
  // Raw requests over a socket: HTTP clients would normalise "..", which is the point of the test.
  const { request: rawRequest } = await import('node:http');
  const url = new URL(baseURL!);
  const attempts = [
    '/images/../package.json',
    '/images/../../etc/passwd',
    `/images/${DEFAULT_IMAGE_ID}/../../package.json`,
    '/images/%2e%2e/package.json',
    `/images/${DEFAULT_IMAGE_ID}/%2e%2e%2fmanifest.json`,
    `/images/${DEFAULT_IMAGE_ID}%2f..%2f..%2fpackage.json/disk.img`,
    '/images/..%5c..%5cpackage.json/disk.img',
    `/images/${DEFAULT_IMAGE_ID}/..%2f..%2f..%2fetc%2fpasswd`,
  ];
  for (const attempt of attempts) {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = rawRequest({ host: url.hostname, port: url.port, path: attempt, method: 'GET' }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => (body += chunk.slice(0, 2000)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status, attempt).toBe(404);
    expect(body, attempt).not.toContain('"name": "leaflab"');
    expect(body, attempt).not.toContain('root:x:0:0');
  }
});
