import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { FaultProxy, type FaultKind, type FaultRule } from './support/fault-proxy';
import { LabPage } from './support/lab-page';
import { LabServer, NginxServer } from './support/servers';

/**
 * The fault suite of issue #11: a real proxy between Chromium and the image host (nginx serving
 * the catalog) breaks the replies in each way a network, CDN or proxy can, while the guest
 * hashes slices of the image's 10 MiB sample file with sha256sum. Each time the guest must see
 * the right hash, or the lab must stop with a clear error; a wrong hash never appears.
 *
 * To keep it short there are three boots: one machine goes through the faults it survives
 * (delays and resets, 5xx, truncated bodies, flipped bytes) and then an ETag change, which
 * stops it; a 200 for a range request and a wrong Content-Range each stop a machine of their own.
 * Every step reads a slice of the file that no earlier step read (and that no readahead of
 * an earlier step reached), so its bytes come through the proxy while the fault is on.
 */
test.describe.configure({ mode: 'serial' });

const SAMPLE_PATH = '/usr/share/leaflab/sample.txt';
const SLICE_BLOCK_BYTES = 64 * 1024;
/** 12 blocks (768 KiB) per slice, 2 MiB apart: 1.25 MiB between slices, more than a readahead window. */
const SLICE_BLOCKS = 12;
const SLICE_SPACING_BLOCKS = 32;
const IMAGE_PATH = `/${DEFAULT_IMAGE_ID}/disk.img`;

/** The sample file's bytes, made the way the image build makes them (image/lib/common.sh), with the host's seq. */
function sampleFileBytes(): Buffer {
  const script = readFileSync(path.join(process.cwd(), 'image/lib/common.sh'), 'utf8');
  const match = /seq -f '([^']+)' 1 (\d+)/.exec(script);
  if (!match?.[1] || !match[2]) throw new Error('image/lib/common.sh no longer writes the sample file with seq -f; update this test');
  const seq = spawnSync('seq', ['-f', match[1], '1', match[2]], { maxBuffer: 64 * 1024 * 1024 });
  if (seq.status !== 0) throw new Error(`seq failed: ${seq.stderr.toString()}`);
  return seq.stdout;
}

const sample = sampleFileBytes();

function sliceSha256(sliceIndex: number): string {
  const start = sliceIndex * SLICE_SPACING_BLOCKS * SLICE_BLOCK_BYTES;
  const bytes = sample.subarray(start, start + SLICE_BLOCKS * SLICE_BLOCK_BYTES);
  if (bytes.length !== SLICE_BLOCKS * SLICE_BLOCK_BYTES) throw new Error(`slice ${sliceIndex} lies past the end of the sample file`);
  return createHash('sha256').update(bytes).digest('hex');
}

type SliceOutcome = { hash: string } | { error: string };

/**
 * Hashes slice `sliceIndex` of the sample file in the guest. Resolves with the hash the guest
 * printed, or with the lab's error if the machine stopped instead.
 */
async function hashSliceInGuest(lab: LabPage, sliceIndex: number): Promise<SliceOutcome> {
  const marker = `__slice_${sliceIndex}_done__`;
  // Echoed as typed with the quotes, printed without them: only the output matches the marker.
  const markerCommand = marker.replace('_done', '""_done');
  const fromOffset = (await lab.serialOutput()).length;
  const skip = sliceIndex * SLICE_SPACING_BLOCKS;
  await lab.page.evaluate(
    (text) => window.leaflab?.sendSerial(text),
    `dd if=${SAMPLE_PATH} bs=${SLICE_BLOCK_BYTES} skip=${skip} count=${SLICE_BLOCKS} 2>/dev/null | sha256sum; echo ${markerCommand}\n`,
  );
  const handle = await lab.page.waitForFunction(
    ([wanted, offset]) => {
      const hook = window.leaflab;
      if (hook?.status === 'error') return { error: hook.snapshot().error ?? '(no message)' };
      const text = hook?.serialOutput().slice(offset) ?? '';
      return text.includes(wanted) ? { text } : false;
    },
    [marker, fromOffset] as const,
    { timeout: 120_000, polling: 250 },
  );
  const result = (await handle.jsonValue()) as { error: string } | { text: string };
  const printed = await lab.serialOutput();
  const hashes = [...printed.slice(fromOffset).matchAll(/([0-9a-f]{64})\s+-/g)].map((m) => m[1]);
  if ('error' in result) {
    expect(hashes, 'a stopped machine printed no hash').toEqual([]);
    return { error: result.error };
  }
  expect(hashes).toHaveLength(1);
  return { hash: hashes[0]! };
}

let nginx: NginxServer;
let proxy: FaultProxy;
let lab: LabServer;

test.beforeAll(async () => {
  nginx = await NginxServer.start(path.join(process.cwd(), 'catalog'));
  proxy = await FaultProxy.start(nginx.url);
  lab = await LabServer.start({ LEAFLAB_IMAGE_BASE_URL: proxy.url });
});

test.afterAll(async () => {
  await lab?.stop();
  await proxy?.stop();
  await nginx?.stop();
});

async function bootedLab(browser: Browser, faults: FaultRule[] = []): Promise<LabPage> {
  proxy.setFaults(...faults);
  const page: Page = await browser.newPage();
  const labPage = new LabPage(page, lab.url);
  await labPage.open(DEFAULT_IMAGE_ID, '?disk=union');
  await labPage.waitForPrompt();
  return labPage;
}

async function diskStats(labPage: LabPage) {
  return labPage.page.evaluate(() => window.leaflab!.stats());
}

/** The lab's error message (Next's empty route announcer is an alert too). */
const labAlert = (labPage: LabPage) => labPage.page.getByRole('alert').filter({ hasText: /\S/ });

const onImage = (kind: FaultKind, every = 1): FaultRule => ({ kind, pathContains: IMAGE_PATH, every });

test.describe('one machine through the faults it survives, then an ETag change', () => {
  let machine: LabPage;

  test.afterAll(async () => {
    await machine?.page.close();
  });

  test('delays and connection resets: the machine boots through them and reads correct bytes', async ({ browser }) => {
    // From the first request on: every request (the chunk table too) waits 50 ms, one in five is reset.
    machine = await bootedLab(browser, [
      { kind: 'delay', pathContains: `/${DEFAULT_IMAGE_ID}/`, delayMs: 50 },
      { kind: 'reset', pathContains: `/${DEFAULT_IMAGE_ID}/`, every: 5 },
    ]);
    console.log(`boot through the faults: ${proxy.applied('delay')} requests delayed, ${proxy.applied('reset')} reset`);
    expect(await hashSliceInGuest(machine, 0)).toEqual({ hash: sliceSha256(0) });
    expect(proxy.applied('delay')).toBeGreaterThan(10);
    expect(proxy.applied('reset')).toBeGreaterThan(3);
  });

  for (const [title, kind, sliceIndex, counter] of [
    ['5xx errors are retried and the bytes are correct', 'status-503', 1, 'retries'],
    ['truncated bodies are refused and fetched again', 'truncate', 2, 'retries'],
    ['flipped bytes with correct headers never reach the guest: the chunk table catches them', 'flip', 3, 'corruptChunks'],
  ] as const) {
    test(title, async () => {
      proxy.setFaults(onImage(kind, 2)); // the first request and every other one after it, so a retry gets through
      const before = await diskStats(machine);
      expect(await hashSliceInGuest(machine, sliceIndex)).toEqual({ hash: sliceSha256(sliceIndex) });
      expect(proxy.applied(kind)).toBeGreaterThan(0);
      expect((await diskStats(machine))[counter]).toBeGreaterThan(before[counter]);
    });
  }

  test('an ETag that changes mid-session: the guest still gets correct bytes, or the machine stops with a clear error', async () => {
    proxy.setFaults(onImage('change-etag'));
    const outcome = await hashSliceInGuest(machine, 4);
    console.log(`after an ETag change: ${JSON.stringify(outcome)}`);
    expect(proxy.applied('change-etag')).toBeGreaterThan(0);
    // Chromium's HTTP cache answers from its stored headers when it revalidates a range with
    // If-Range, so the page may never see the new ETag; the chunk table still vouches for every byte.
    if ('hash' in outcome) {
      expect(outcome.hash).toBe(sliceSha256(4));
    } else {
      expect(outcome.error).toMatch(/The image at .*disk\.img changed: the server sends ETag "fault-proxy-/);
      await expect(labAlert(machine)).toContainText('bytes of two different images are never mixed');
    }
  });
});

for (const [kind, message] of [
  ['full-200', /answered 200 OK \(the whole file\) to a request for bytes \d+-\d+/],
  ['wrong-content-range', /answered with Content-Range "bytes \d+-\d+\/\d+" but Leaflab asked for/],
] as const) {
  test(`${kind === 'full-200' ? 'a 200 for a range request' : 'a wrong Content-Range'} stops the machine with a clear error`, async ({ browser }) => {
    const machine = await bootedLab(browser);
    try {
      proxy.setFaults(onImage(kind));
      const outcome = await hashSliceInGuest(machine, 0);
      expect(outcome).toEqual({ error: expect.stringMatching(message) });
      expect(proxy.applied(kind)).toBeGreaterThan(0);
      await expect(labAlert(machine)).toContainText('nothing was');
    } finally {
      await machine.page.close();
    }
  });
}
