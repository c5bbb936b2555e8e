#!/usr/bin/env node
/**
 * Bundles the service worker (lib/offline/service-worker.ts and what it imports) into
 * public/sw.js (git-ignored), which must be served from the site's root to control /lab/ pages.
 * esbuild comes with tsx, a dependency of the project. Rewrites the file only when it changes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const target = path.join(projectRoot, 'public', 'sw.js');
const result = await build({
  entryPoints: [path.join(projectRoot, 'lib', 'offline', 'service-worker.ts')],
  bundle: true,
  format: 'iife',
  target: 'es2022',
  write: false,
  logLevel: 'warning',
  banner: { js: '// Built by scripts/build-service-worker.mjs from lib/offline/service-worker.ts; do not edit.' },
});
const code = result.outputFiles[0].text;
if (!existsSync(target) || readFileSync(target, 'utf8') !== code) {
  writeFileSync(target, code);
  console.log('build-service-worker: public/sw.js written');
} else {
  console.log('build-service-worker: public/sw.js is up to date');
}
