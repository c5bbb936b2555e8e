import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in Debian's Chromium (/usr/bin/chromium): Playwright never downloads a
 * browser here. Playwright starts the lab with `npm start` on its own port (`npm test` has
 * prepared the image and the production build, so this only serves).
 */
const port = Number(process.env.LEAFLAB_TEST_PORT ?? 3100);
export const chromiumExecutable = process.env.LEAFLAB_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The slow lane (`npm run test:slow`, LEAFLAB_SLOW_LANE=1) runs only these specs, and `npm test`
 * runs everything else, so that `npm test` stays near its 45 minutes: killing Chromium twenty
 * times during writes takes about 10 of them; the linux-basics lesson on debian-lab about 5½
 * (the copy-on-write lesson, 2 minutes on the default image, covers the lesson machinery in
 * `npm test`); the comparison disk backends and debian-lab's share link half a minute each
 * (the benchmark boots the backends too; share links are checked on the default image).
 */
const SLOW_SPECS = ['**/kill-during-writes.spec.ts', '**/lesson-linux-basics.spec.ts', '**/comparison-disks.spec.ts', '**/debian-lab-share.spec.ts'];
const slowLane = process.env.LEAFLAB_SLOW_LANE === '1';

export default defineConfig({
  testDir: 'test/e2e',
  ...(slowLane ? { testMatch: SLOW_SPECS } : { testIgnore: SLOW_SPECS }),
  // One guest at a time: each uses a full core of this 2-core machine.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumExecutable, args: chromiumArgs },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  webServer: {
    // README command 1 itself: it reuses the image and build that `npm test` prepared, then serves.
    command: 'npm start',
    url: `http://127.0.0.1:${port}/api/images`,
    // Published layers go to a fresh folder each run, never the checkout's ./layers.
    env: { PORT: String(port), HOST: '127.0.0.1', LEAFLAB_LAYER_DIR: mkdtempSync(path.join(tmpdir(), 'leaflab-e2e-layers-')) },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
