/**
 * Leaflab's patch to v86's IDE disk (src/ide.js), applied to the ES module that
 * scripts/copy-assets.mjs copies into public/v86/. Why: unpatched, v86 tells the guest a write
 * is done before the disk has it, so the guest's `fsync` promises more than the browser keeps:
 *
 * 1. FLUSH CACHE (0xE7) and FLUSH CACHE EXT (0xEA) are answered at once by v86 itself. Patched,
 *    the drive stays busy (BSY) until the disk's `flush(fn)` calls back, which Leaflab's union
 *    disk does once every earlier write has committed to IndexedDB. A disk without `flush`
 *    (v86's own buffers) completes at once, as before.
 * 2. A PIO write (WRITE SECTORS / MULTIPLE, with or without EXT; what Linux uses with
 *    libata.dma=0) is acknowledged before `set` is even called. Patched, the drive stays busy
 *    until `set` calls back, as v86 already does for DMA writes. This also bounds the writes a
 *    guest can have in flight: it waits.
 * 3. A completion that arrives after the guest reset the drive must not end a later command:
 *    each busy operation and each reset takes a new id, and a callback only completes its own.
 *    v86 seals its device objects (Object.seal), so the ids live in a WeakMap the patch adds at
 *    the top of the module, not in a new property.
 *
 * The patch is made for one exact build of v86: the copy refuses any other version or bytes,
 * so an upgrade of v86 means re-reading src/ide.js and remaking these replacements.
 */
import { createHash } from 'node:crypto';

export const PATCHED_V86_VERSION = '0.5.462+g5f9a90f';
const PATCHED_LIBV86_SHA256 = '581c169db27daad9d64679bd117f4a90c37c23c6ad9e660b7e89ee731eb2a446';

/** leaflabNextIo/leaflabIsCurrentIo: see PATCH_PRELUDE; 128 is the status register's BSY bit. */
const REPLACEMENTS = [
  {
    why: 'FLUSH CACHE / FLUSH CACHE EXT wait for the disk',
    find: 'case 231:this.status_reg=80;this.push_irq();\nbreak;case 234:this.status_reg=80;this.push_irq();break;',
    replace:
      'case 231:case 234:if(this.buffer&&typeof this.buffer.flush==="function"){this.status_reg=208;' +
      'var leaflabFlushId=leaflabNextIo(this);this.buffer.flush(()=>{' +
      'if(leaflabIsCurrentIo(this,leaflabFlushId)&&this.status_reg&128){this.status_reg=80;this.push_irq()}})}' +
      'else{this.status_reg=80;this.push_irq()}break;',
  },
  {
    why: 'a PIO write completes when the disk has it',
    find:
      'prototype.do_write=function(){this.status_reg=80;var a=this.data.subarray(0,this.data_length);' +
      'this.ata_advance(this.current_command,this.data_length/512);this.push_irq();' +
      'this.buffer.set(this.write_dest,a,function(){});this.report_write(this.data_length)};',
    replace:
      'prototype.do_write=function(){this.status_reg=208;var a=this.data.subarray(0,this.data_length);' +
      'this.ata_advance(this.current_command,this.data_length/512);' +
      'var leaflabWriteId=leaflabNextIo(this);this.buffer.set(this.write_dest,a,()=>{' +
      'if(leaflabIsCurrentIo(this,leaflabWriteId)&&this.status_reg&128){this.status_reg=80;this.push_irq()}});' +
      'this.report_write(this.data_length)};',
  },
  {
    why: 'a reset orphans the completions of earlier operations',
    find: 'prototype.device_reset=function(){this.is_atapi?',
    replace: 'prototype.device_reset=function(){leaflabNextIo(this);this.is_atapi?',
  },
];

/** A mark the patched module carries, so tests and people can tell it from v86's original. */
export const PATCH_MARK = '/* leaflab: v86 IDE patched (scripts/v86-patch.mjs) */\n';

/** Module-level helpers the replacements call: the current operation id of each IDE drive. */
const PATCH_PRELUDE =
  'const leaflabIdeIo=new WeakMap();' +
  'function leaflabNextIo(drive){const id=(leaflabIdeIo.get(drive)|0)+1;leaflabIdeIo.set(drive,id);return id}' +
  'function leaflabIsCurrentIo(drive,id){return leaflabIdeIo.get(drive)===id}\n';

/**
 * Returns the patched module. Throws, naming what to do, if `source` is not the exact v86
 * build the patch was made for.
 */
export function patchLibv86(source, packageVersion) {
  if (packageVersion !== PATCHED_V86_VERSION) {
    throw new Error(
      `v86 ${packageVersion} is installed, but scripts/v86-patch.mjs was made for v86 ${PATCHED_V86_VERSION}. ` +
        `Install that version (npm ci), or remake the patch for the new one after reading its src/ide.js.`,
    );
  }
  const sha256 = createHash('sha256').update(source).digest('hex');
  if (sha256 !== PATCHED_LIBV86_SHA256) {
    throw new Error(
      `node_modules/v86/build/libv86.mjs hashes to ${sha256}, not to the v86 ${PATCHED_V86_VERSION} build the patch ` +
        `was made for (${PATCHED_LIBV86_SHA256}). Reinstall it (rm -rf node_modules/v86 && npm ci).`,
    );
  }
  for (const name of ['leaflabIdeIo', 'leaflabNextIo', 'leaflabIsCurrentIo']) {
    if (source.includes(name)) throw new Error(`v86 patch: libv86.mjs already uses the name ${name}`);
  }
  let patched = source;
  for (const { why, find, replace } of REPLACEMENTS) {
    const first = patched.indexOf(find);
    if (first < 0 || patched.indexOf(find, first + 1) >= 0) {
      throw new Error(`v86 patch "${why}": its target does not occur exactly once in libv86.mjs`);
    }
    patched = patched.slice(0, first) + replace + patched.slice(first + find.length);
  }
  return PATCH_MARK + PATCH_PRELUDE + patched;
}
