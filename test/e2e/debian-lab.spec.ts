import { expect, test, type Page } from '@playwright/test';
import { LabPage } from './support/lab-page';

/**
 * The debian-lab image (issue #9) in the lab, on the union disk: it boots to a bash prompt as
 * `student`, and what a course needs works (Python, gcc, git, man). One guest boots once and the
 * tests share it, in order. The first run of a program reads it from the root over HTTP Range,
 * so the first python3 and gcc take longer than later ones.
 */
test.describe.configure({ mode: 'serial' });

const IMAGE_ID = 'debian-lab';
/** First use of a big program (gcc's cc1, Python's standard library) is read from the network. */
const FIRST_RUN_LIMIT_MS = 150_000;

let page: Page;
let lab: LabPage;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  lab = new LabPage(page);
});

test.afterAll(async () => {
  await page.close();
});

test('boots to a bash prompt as student, on the serial console and the VGA screen', async () => {
  await lab.open(IMAGE_ID);
  await lab.waitForPrompt();
  const serial = await lab.serialOutput();
  expect(serial).toContain('debian-lab login: student (automatic login)');
  expect(serial).toMatch(/student@debian-lab[^\n]*:[^\n]*~[^\n]*\$ /);
  expect(serial).not.toContain('no job control');
  expect(await lab.run('echo "$0 $(id -un) $(id -u) $(hostname)"')).toMatch(/-bash student 1000 debian-lab/);
  // The VGA console has its own login (tty1).
  await expect.poll(() => lab.screenText(), { timeout: 30_000 }).toMatch(/student@debian-lab/);
  expect((await page.evaluate(() => window.leaflab!.stats())).diskMode).toBe('union');
});

test('student has passwordless sudo and a home with a README', async () => {
  expect(await lab.run('sudo -n id -u')).toMatch(/^0\r?$/m);
  expect(await lab.run('head -n 1 ~/README')).toContain('Welcome to the Debian lab');
  expect(await lab.run('locale | grep ^LANG=')).toMatch(/LANG=C\.UTF-8/);
});

test('python3 runs', async () => {
  const output = await lab.run(`python3 -c 'print(6*7)'`, FIRST_RUN_LIMIT_MS);
  expect(output).toMatch(/^42\r?$/m);
});

test('a C file compiles with gcc and runs', async () => {
  await lab.run(`printf '%s\\n' '#include <stdio.h>' 'int main(void) { printf("compiled-%d\\n", 6 * 7); return 0; }' > ~/hello.c`);
  const output = await lab.run('gcc -Wall -o ~/hello ~/hello.c && ~/hello', FIRST_RUN_LIMIT_MS);
  expect(output).toMatch(/^compiled-42\r?$/m);
});

test('git init and a commit work', async () => {
  const output = await lab.run(
    // --no-pager: on a terminal, git log would wait in less for a key.
    `mkdir -p ~/project && cd ~/project && git init -q && echo hello > a.txt && git add a.txt && git commit -q -m "first commit" && git --no-pager log --format='logged %s by %an'; cd ~`,
    FIRST_RUN_LIMIT_MS,
  );
  expect(output).toMatch(/^logged first commit by Student\r?$/m);
});

test('man ls shows the manual page', async () => {
  const output = await lab.run('man ls | head -n 8', FIRST_RUN_LIMIT_MS);
  expect(output).toMatch(/LS\(1\)\s+User Commands\s+LS\(1\)/);
  expect(output).toContain('ls - list directory contents');
});

test("the copy-on-write lab's write command lands in the leaf, and the block map shows the partitions", async () => {
  const leafBefore = (await page.evaluate(() => window.leaflab!.stats())).leafSectors;
  await page.evaluate(() => window.leaflab!.sendSerial('dd if=/dev/urandom of=$HOME/random.bin bs=64k count=64 && sync && ls -l $HOME/random.bin\n'));
  // `ls -l` of the 4 MiB file: the command ran (its echo also ends in random.bin).
  await lab.waitForSerial(/ 4194304 [^\n]*random\.bin\r?\n/, 0, 120_000);
  // 4 MiB = 8192 sectors, saved in this browser's leaf and drawn as leaf cells.
  await expect.poll(async () => (await page.evaluate(() => window.leaflab!.stats())).leafSectors - leafBefore, { timeout: 30_000 }).toBeGreaterThanOrEqual(8192);
  const map = await page.evaluate(() => window.leaflab!.blockMap()!);
  expect(map.stateCounts['leaf-full']).toBeGreaterThan(0);
  expect(map.partitions.map((p) => [p.index, p.typeName])).toEqual([
    [1, 'FAT16 (LBA)'],
    [2, 'Linux'],
  ]);
});

test('a file written before a reload is there after it, with the same sha-256', async () => {
  const before = await lab.writeRandomFile('/home/student/kept.bin', 1024);
  await lab.reload();
  await lab.waitForPrompt();
  await expect(page.getByTestId('restored-changes')).toBeVisible();
  expect(await lab.sha256Of('/home/student/kept.bin')).toBe(before);
  // The compiled program and the repository came back with it.
  expect(await lab.run('~/hello; git -C ~/project log --oneline | wc -l')).toMatch(/compiled-42\r?\n1\r?$/m);
});
