/**
 * qcow2 and VMDK disks through Debian's qemu-img (package qemu-utils). The file is untrusted:
 * the format is always named (never probed), a disk that names a backing file or other extent
 * files is refused before anything reads them (they could pull host files into the image), and
 * `qemu-img check` must find no damage before the conversion.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AddImageError } from './add-image-error';

const run = promisify(execFile);
const QEMU_IMG = 'qemu-img';

export interface QemuDiskInfo {
  virtualSizeBytes: number;
  /** Bytes the file takes on its disk (the data a raw copy would hold, roughly). */
  allocatedBytes: number;
}

async function qemuImg(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(QEMU_IMG, args, { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') throw new AddImageError('qemu-img is not installed: apt-get install qemu-utils (npm run image:add installs it when run as root)');
    return { stdout: failure.stdout ?? '', stderr: failure.stderr ?? '', code: typeof failure.code === 'number' ? failure.code : 1 };
  }
}

export async function inspectQemuDisk(filePath: string, format: 'qcow2' | 'vmdk', fileName: string): Promise<QemuDiskInfo> {
  const info = await qemuImg(['info', '-f', format, '--output=json', filePath]);
  if (info.code !== 0) {
    throw new AddImageError(`${fileName} is not a readable ${format} disk: ${firstLine(info.stderr) || `qemu-img info exited with ${info.code}`}`);
  }
  const parsed = JSON.parse(info.stdout) as Record<string, unknown>;
  const backing = parsed['backing-filename'] ?? parsed['full-backing-filename'];
  if (backing !== undefined) {
    throw new AddImageError(
      `${fileName} is a ${format} overlay on a backing file (${String(backing)}); add a self-contained disk: qemu-img convert -O ${format} ${fileName} merged.${format}`,
    );
  }
  const extents = ((parsed['format-specific'] as { data?: { extents?: Array<{ filename?: string }> } } | undefined)?.data?.extents ?? []).map((e) => e.filename);
  const filename = parsed.filename;
  if (extents.some((extent) => extent !== filename)) {
    throw new AddImageError(`${fileName} is a VMDK split over several files; add a single-file (monolithic) VMDK: qemu-img convert -O vmdk ${fileName} single.vmdk`);
  }
  const virtualSizeBytes = Number(parsed['virtual-size']);
  if (!Number.isSafeInteger(virtualSizeBytes) || virtualSizeBytes <= 0) throw new AddImageError(`${fileName}: qemu-img reports no usable disk size`);

  const check = await qemuImg(['check', '-f', format, '--output=json', filePath]);
  // 0: clean; 3: only leaked clusters (space the file wastes, no data lost). 2: corruption; 1: the
  // check itself could not finish, which a truncated file also causes.
  if (check.code !== 0 && check.code !== 3) {
    let errors = '';
    try {
      const report = JSON.parse(check.stdout) as { 'check-errors'?: number; corruptions?: number };
      const count = (report.corruptions ?? 0) + (report['check-errors'] ?? 0);
      errors = count > 0 ? `${count} errors` : 'errors';
    } catch {
      errors = 'errors';
    }
    const first = firstLine(check.stderr.split('\n').find((line) => line.startsWith('ERROR')) ?? check.stderr);
    throw new AddImageError(
      `${fileName} is a damaged ${format} disk: qemu-img check found ${errors}${first ? ` (first: ${first})` : ''}. A truncated download or copy does this: copy the file again.`,
    );
  }
  return { virtualSizeBytes, allocatedBytes: Number(parsed['actual-size']) || virtualSizeBytes };
}

/** Converts to a sparse raw file (qemu-img skips all-zero runs). */
export async function convertToRaw(filePath: string, format: 'qcow2' | 'vmdk', rawPath: string, fileName: string): Promise<void> {
  const result = await qemuImg(['convert', '-f', format, '-O', 'raw', filePath, rawPath]);
  if (result.code !== 0) throw new AddImageError(`converting ${fileName} to a raw disk failed: ${firstLine(result.stderr)}`);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.replace(/^qemu-img: /, '').trim() ?? '';
}
