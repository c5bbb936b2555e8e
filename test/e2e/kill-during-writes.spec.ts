import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ChromiumProcess } from './support/chromium-process';
import { DEFAULT_IMAGE_ID, defaultManifest } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * Kill during writes (qemu-iotests style), twenty times: SIGKILL Chromium while the guest's `dd`
 * is writing with no `sync`, reopen, download the raw disk, and check its root file system with
 * `e2fsck -fn` after the journal replay a mount would do. Every file written before a `sync`
 * that returned must still be there, byte for byte, in both of the guest's transfer modes:
 * DMA (Linux's default) and PIO (`libata.dma=0`), where only the v86 patch
 * (scripts/v86-patch.mjs) makes a write complete after the disk has it and a flush a barrier.
 */
test.describe.configure({ mode: 'serial' });

const ROUNDS_PER_MODE = 10;
const ROOT_PARTITION = 2;
/** In the image's syslinux.cfg; replaced in the workspace's leaf by a text of the same length. */
const APPEND_WORDS = 'quiet cryptomgr.notests';
const PIO_APPEND_WORDS = 'quiet libata.dma=0     ';

const profile = mkdtempSync(path.join(tmpdir(), 'leaflab-kill-'));
const scratch = mkdtempSync(path.join(tmpdir(), 'leaflab-kill-disk-'));
let baseURL: string;

test.beforeAll(({}, testInfo) => {
  baseURL = testInfo.project.use.baseURL!;
});

test.afterAll(() => {
  rmSync(profile, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

interface Round {
  browser: ChromiumProcess;
  lab: LabPage;
}

async function openWorkspace(workspace: string): Promise<Round> {
  const browser = await ChromiumProcess.start(profile);
  const lab = new LabPage(await browser.newPage(), baseURL);
  await lab.open(DEFAULT_IMAGE_ID, `?ws=${workspace}`);
  return { browser, lab };
}

/** The merged disk through the lab's "Download disk" button. */
async function downloadDisk(lab: LabPage): Promise<Buffer> {
  const button = lab.page.getByRole('button', { name: 'Download disk' });
  await expect(button).toBeEnabled({ timeout: 60_000 });
  const started = lab.page.waitForEvent('download', { timeout: 120_000 });
  await button.click();
  const download = await started;
  return readFileSync((await download.path())!);
}

/**
 * e2fsck on a copy of the root partition: first the journal replay a mount would do, then a
 * forced read-only check, which must find nothing, or only the orphan-inode fixes that mounting
 * a file system after a crash makes too.
 */
function checkRootFileSystem(disk: Buffer, label: string): void {
  const partition = defaultManifest().partitions.find((p) => p.index === ROOT_PARTITION)!;
  const file = path.join(scratch, `${label}.ext4`);
  writeFileSync(file, disk.subarray(partition.startSector * 512, (partition.startSector + partition.sectorCount) * 512));
  const replay = spawnSync('e2fsck', ['-E', 'journal_only', '-y', file], { encoding: 'utf8' });
  expect(replay.status ?? 8, `journal replay of ${label}: ${replay.stdout}${replay.stderr}`).toBeLessThan(4);
  const check = spawnSync('e2fsck', ['-f', '-n', file], { encoding: 'utf8' });
  const output = `${check.stdout}${check.stderr}`;
  if (check.status !== 0) {
    const problems = output
      .split('\n')
      .filter((line) => /\?|error|corrupt|illegal|invalid|wrong|differences/i.test(line))
      .filter((line) => !/orphan/i.test(line));
    expect(problems, `e2fsck -fn of ${label} (exit ${check.status}):\n${output}`).toEqual([]);
  }
  rmSync(file, { force: true });
}

/** Byte offset of the boot menu's kernel options in the image (checked to be unique). */
function appendWordsOffset(): number {
  const image = readFileSync(path.join(process.cwd(), 'catalog', DEFAULT_IMAGE_ID, 'disk.img'));
  const first = image.indexOf(APPEND_WORDS);
  expect(first, 'the kernel options in syslinux.cfg').toBeGreaterThan(0);
  expect(image.indexOf(APPEND_WORDS, first + 1)).toBe(-1);
  return first;
}

/** libata's transfer mode of the disk (the primary channel's master, dev1.0): e.g. MW_DMA_2, PIO_4. */
async function transferMode(lab: LabPage): Promise<string> {
  const output = await lab.run('cat /sys/class/ata_device/dev1.0/xfer_mode');
  const mode = /\nXFER_(\w+)\r?\n/.exec(output)?.[1];
  if (!mode) throw new Error(`no transfer mode in: ${output}`);
  return mode;
}

/** sha-256 of each guest file, from one `sha256sum` run (a missing file is simply absent). */
async function guestSha256s(lab: LabPage, guestPaths: string[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (guestPaths.length === 0) return hashes;
  const output = await lab.run(`sha256sum ${guestPaths.join(' ')}`, 60_000);
  // One line per file; `m` so that each line's start is matched, not only the first's.
  for (const [, sha, guestPath] of output.matchAll(/^(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*([0-9a-f]{64}) {2}(\S+)\r?$/gm)) {
    if (sha && guestPath) hashes.set(guestPath, sha);
  }
  return hashes;
}

for (const mode of ['dma', 'pio'] as const) {
  test(`SIGKILL during unsynced writes, ${ROUNDS_PER_MODE} times, ${mode.toUpperCase()} mode: the disk stays consistent and every synced file survives`, async () => {
    test.setTimeout(ROUNDS_PER_MODE * 120_000);
    const workspace = `kill-${mode}`;
    const synced = new Map<string, string>(); // guest path → sha-256

    let { browser, lab } = await openWorkspace(workspace);
    await lab.waitForPrompt();
    if (mode === 'pio') {
      // The student's own leaf gets the boot option: the root image stays as it is.
      const offset = appendWordsOffset();
      await lab.run(`printf '%s' '${PIO_APPEND_WORDS}' | dd of=/dev/sda bs=1 seek=${offset} conv=notrunc 2>/dev/null; sync`);
      await lab.click('Restart');
      await lab.waitForPrompt();
    }

    for (let round = 1; round <= ROUNDS_PER_MODE; round += 1) {
      expect(await lab.run('cat /proc/cmdline')).toContain(mode === 'pio' ? 'libata.dma=0' : 'cryptomgr.notests');
      expect(await transferMode(lab)).toMatch(mode === 'pio' ? /^PIO/ : /DMA/);
      expect(await guestSha256s(lab, [...synced.keys()]), `the synced files after ${round - 1} kills`).toEqual(synced);

      // A file that `sync` reported written: it must survive the kill below.
      const guestPath = `/root/synced-${round}.bin`;
      synced.set(guestPath, await lab.writeRandomFile(guestPath, 256));

      // Then writes nobody waits for: a big unsynced file while the browser dies.
      await lab.run('rm -f /root/unsynced.bin');
      const writesBefore = (await lab.page.evaluate(() => window.leaflab!.stats())).writes;
      await lab.page.evaluate(() => window.leaflab!.sendSerial('dd if=/dev/urandom of=/root/unsynced.bin bs=64k count=480 &\n'));
      await expect.poll(async () => (await lab.page.evaluate(() => window.leaflab!.stats())).writes, { timeout: 60_000 }).toBeGreaterThan(writesBefore);
      // Vary the moment of the kill from round to round (0.2 to 2.2 s after the disk saw writes).
      await new Promise((resolve) => setTimeout(resolve, 200 + ((round * 737) % 2000)));
      await browser.kill();

      ({ browser, lab } = await openWorkspace(workspace));
      checkRootFileSystem(await downloadDisk(lab), `${mode}-${round}`);
      await lab.waitForPrompt();
    }
    expect(await guestSha256s(lab, [...synced.keys()])).toEqual(synced);
    await browser.kill();
  });
}
