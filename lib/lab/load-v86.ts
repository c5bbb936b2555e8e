/**
 * Loads the v86 emulator in the browser.
 *
 * Why not `import('v86')`: Next's bundler gives every module a `process` shim, and libv86.mjs
 * takes its Node.js code paths whenever `process` exists (it then yields with
 * `global.setImmediate`, which browsers lack, instead of its Worker-based timer). So the browser
 * loads the package's own ES module unmodified from public/v86/ (copied by `npm run assets`).
 */
import type * as V86Module from 'v86';

export async function loadV86(moduleUrl: string): Promise<typeof V86Module> {
  try {
    return (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ moduleUrl)) as typeof V86Module;
  } catch (error) {
    throw new Error(`Could not load the emulator from ${moduleUrl} (${(error as Error).message}). Run \`npm run assets\` on the server.`);
  }
}
