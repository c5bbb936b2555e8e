#!/usr/bin/env node
/**
 * Copies what the browser loads to boot a guest into public/v86/ (git-ignored):
 * v86's ES module (with Leaflab's IDE patch, see v86-patch.mjs) and wasm from the npm package,
 * and the BIOS pair from Debian's seabios package. v86's npm package ships no BIOS; seabios's
 * bios.bin + vgabios-stdvga.bin boot v86 and show text on its VGA screen. Copies only what is
 * missing or changed, so it is cheap to run often.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { patchLibv86 } from './v86-patch.mjs';

const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const targetDirectory = path.join(projectRoot, 'public', 'v86');
const require = createRequire(import.meta.url);
const v86BuildDirectory = path.dirname(require.resolve('v86'));
const v86Version = JSON.parse(readFileSync(path.join(v86BuildDirectory, '..', 'package.json'), 'utf8')).version;
const seabiosDirectory = process.env.LEAFLAB_SEABIOS_DIR ?? '/usr/share/seabios';

const assets = [
  { from: path.join(v86BuildDirectory, 'libv86.mjs'), to: 'libv86.mjs', hint: 'run npm install', patch: true },
  { from: path.join(v86BuildDirectory, 'v86.wasm'), to: 'v86.wasm', hint: 'run npm install' },
  { from: path.join(seabiosDirectory, 'bios.bin'), to: 'bios.bin', hint: 'install Debian\'s seabios package: apt-get install seabios' },
  { from: path.join(seabiosDirectory, 'vgabios-stdvga.bin'), to: 'vgabios-stdvga.bin', hint: 'install Debian\'s seabios package: apt-get install seabios' },
];

mkdirSync(targetDirectory, { recursive: true });
let copied = 0;
for (const asset of assets) {
  if (!existsSync(asset.from)) {
    console.error(`copy-assets: ${asset.from} is missing; ${asset.hint}`);
    process.exit(1);
  }
  const target = path.join(targetDirectory, asset.to);
  if (asset.patch) {
    let patched;
    try {
      patched = patchLibv86(readFileSync(asset.from, 'utf8'), v86Version);
    } catch (error) {
      console.error(`copy-assets: ${error.message}`);
      process.exit(1);
    }
    if (!existsSync(target) || readFileSync(target, 'utf8') !== patched) {
      writeFileSync(target, patched);
      copied += 1;
    }
    continue;
  }
  const source = statSync(asset.from);
  if (existsSync(target)) {
    const existing = statSync(target);
    if (existing.size === source.size && existing.mtimeMs >= source.mtimeMs) continue;
  }
  copyFileSync(asset.from, target);
  copied += 1;
}
console.log(`copy-assets: public/v86 is up to date (${copied} file(s) copied)`);

// The service worker lives in public/ too (served at /sw.js).
await import('./build-service-worker.mjs');
