#!/usr/bin/env node
/**
 * Runs `next build` unless .next already holds a build of exactly these sources: a stamp with a
 * hash of every source file that goes into the build is kept beside it. So `npm start` is quick
 * after the first time, and still never serves a build older than the code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const stampPath = path.join(projectRoot, '.next', 'leaflab-source-hash');
const inputs = ['app', 'lib', 'next.config.js', 'package-lock.json', 'tsconfig.json'];

function* files(entry) {
  const full = path.join(projectRoot, entry);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) yield* files(path.join(entry, name));
  } else {
    yield entry;
  }
}

const hash = createHash('sha256');
for (const input of inputs) {
  for (const file of files(input)) hash.update(file).update('\0').update(readFileSync(path.join(projectRoot, file)));
}
const sourceHash = hash.digest('hex');

if (existsSync(path.join(projectRoot, '.next', 'BUILD_ID')) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === sourceHash) {
  console.log('build-if-stale: the production build is up to date');
} else {
  execFileSync('npx', ['next', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  writeFileSync(stampPath, sourceHash);
}
