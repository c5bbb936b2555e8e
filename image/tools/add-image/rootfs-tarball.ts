/**
 * A root filesystem tarball given to `npm run image:add`: how much unpacking it writes, and the
 * wrapper (image/tools/wrap-rootfs.sh) that makes it a bootable disk. The wrapper exits 3 with
 * one "image: error: …" line when the tarball is at fault; that line becomes the message.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { AddImageError } from './add-image-error';

const MIB = 1024 * 1024;
const WRAP_ROOTFS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'wrap-rootfs.sh');

export /** Sum of the file sizes a tarball lists (what unpacking it writes). */
function tarContentBytes(tarballPath: string, fileName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-tvf', tarballPath], { maxBuffer: 512 * MIB }, (error, stdout, stderr) => {
      if (error) {
        reject(new AddImageError(`${fileName} is not a tar archive that GNU tar can read (${stderr.trim().split('\n')[0] ?? error.message})`));
        return;
      }
      let total = 0;
      for (const line of stdout.split('\n')) total += Number(line.trim().split(/\s+/)[2]) || 0;
      resolve(total);
    });
  });
}

export function wrapRootfs(tarballPath: string, stagingDirectory: string, id: string, freeMiB: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', [WRAP_ROOTFS, tarballPath, stagingDirectory, id, String(freeMiB)], {
      maxBuffer: 64 * MIB,
    });
    let stderr = '';
    child.stderr?.on('data', (text: string) => {
      stderr += text;
      process.stderr.write(text);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      const lastError = stderr.split('\n').filter((line) => line.startsWith('image: error: ')).at(-1)?.slice('image: error: '.length);
      reject(new AddImageError(lastError ?? `wrapping the root filesystem failed (exit ${code}); see the lines above`));
    });
  });
}

