import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Unit and property tests (test/unit) and integration tests that run real tools such as the
// image builder (test/integration) run in Node; browser behaviour is Playwright's (test/e2e).
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
