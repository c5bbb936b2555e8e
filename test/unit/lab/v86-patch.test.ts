import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Runs scripts/v86-patch.mjs's patchLibv86 in Node (it is a build script, not app code). */
function patch(sourceExpression: string, version: string): { output?: string; error?: string } {
  const program =
    `import { readFileSync } from 'node:fs'; import { patchLibv86 } from './scripts/v86-patch.mjs';` +
    `try { process.stdout.write(JSON.stringify({ output: patchLibv86(${sourceExpression}, ${JSON.stringify(version)}) })); }` +
    `catch (e) { process.stdout.write(JSON.stringify({ error: e.message })); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(result.stdout) as { output?: string; error?: string };
}

const installedVersion = (JSON.parse(readFileSync('node_modules/v86/package.json', 'utf8')) as { version: string }).version;
const INSTALLED = "readFileSync('node_modules/v86/build/libv86.mjs', 'utf8')";

describe('the v86 IDE patch (scripts/v86-patch.mjs)', () => {
  it('patches the installed v86: flushes ask the disk, PIO writes wait for it, resets orphan old completions', () => {
    const { output, error } = patch(INSTALLED, installedVersion);
    expect(error).toBeUndefined();
    expect(output).toMatch(/^\/\* leaflab: v86 IDE patched/);
    expect(output).toContain('case 231:case 234:if(this.buffer&&typeof this.buffer.flush==="function")');
    expect(output).toContain('this.buffer.set(this.write_dest,a,()=>{if(leaflabIsCurrentIo(this,leaflabWriteId)');
    expect(output).not.toContain('this.push_irq();this.buffer.set(this.write_dest,a,function(){})');
    expect(output).toContain('prototype.device_reset=function(){leaflabNextIo(this);');
    expect(output).toContain('const leaflabIdeIo=new WeakMap();');
  });

  it('refuses another v86 version, naming the one it was made for', () => {
    expect(patch(INSTALLED, '0.5.999').error).toMatch(/v86 0\.5\.999 is installed, but scripts\/v86-patch\.mjs was made for v86 0\.5\.462/);
  });

  it('refuses the right version with other bytes', () => {
    expect(patch(`${INSTALLED}.replace('do_write', 'do_wrote')`, installedVersion).error).toMatch(/hashes to [0-9a-f]{64}, not to the v86/);
  });
});
