import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { chromiumArgs, chromiumExecutable } from './playwright.config.ts';

/**
 * Two projects:
 * - node: unit and property tests (test/unit) and integration tests that run real tools such
 *   as the image builder (test/integration);
 * - chromium: tests that need a real browser API, such as IndexedDB (test/browser), in
 *   Debian's Chromium through Vitest's browser mode (Playwright never downloads a browser).
 * Whole-app behaviour is Playwright's (test/e2e).
 *
 * LEAFLAB_SLOW_LANE=1 (npm run test:slow) runs only the slow lane instead (test/slow: checks that
 * take tens of minutes, such as rebuilding debian-lab to prove its digest).
 */
const slowLane = process.env.LEAFLAB_SLOW_LANE === '1';

const node: TestProjectInlineConfiguration = {
  extends: true,
  test: { name: 'node', include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], environment: 'node' },
};

const chromium: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'chromium',
    include: ['test/browser/**/*.test.ts'],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: chromiumExecutable, args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
};

const slow: TestProjectInlineConfiguration = {
  extends: true,
  test: { name: 'slow', include: ['test/slow/**/*.test.ts'], environment: 'node' },
};

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    testTimeout: 60_000,
    projects: slowLane ? [slow] : [node, chromium],
  },
});
