/**
 * The files the browser needs to run v86, copied into public/ by `npm run assets`
 * (scripts/copy-assets.mjs), and which of them the server lacks. Both lab pages (an image's,
 * /lab/<id>, and a lesson's, /labs/<id>) check them before they render a machine.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const EMULATOR_ASSETS = {
  moduleUrl: '/v86/libv86.mjs',
  wasmUrl: '/v86/v86.wasm',
  biosUrl: '/v86/bios.bin',
  vgaBiosUrl: '/v86/vgabios-stdvga.bin',
};

export function missingEmulatorAssets(): string[] {
  return Object.values(EMULATOR_ASSETS).filter((url) => !existsSync(path.join(/*turbopackIgnore: true*/ process.cwd(), 'public', url)));
}
