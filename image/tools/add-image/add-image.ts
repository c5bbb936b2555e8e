/**
 * `npm run image:add -- FILE [--id ID] [--title T] [--description D] [--memory-mib N]
 *                          [--free-mib N] [--acpi on|off]`
 *
 * Adds a disk to the catalog in one command, writing the manifest a user would otherwise write
 * by hand (size, sha-256, zero chunks, partitions from the MBR) and the chunk table beside it. FILE may be
 *   - a raw disk image (a whole number of 512-byte sectors, bootable: 0x55AA in sector 0);
 *   - a qcow2 or single-file VMDK disk, converted to raw with qemu-img;
 *   - a root filesystem tarball (`docker export` of an i386 container, plain or compressed),
 *     wrapped in a bootable disk with the Debian kernel, the project's initramfs and Leaflab's
 *     init (image/tools/wrap-rootfs.sh), with --free-mib (default 1024) free for the user.
 *
 * Everything is built in a hidden folder beside the catalog's images and moved into place only
 * when complete, so bad input (a size that is not whole sectors, a damaged qcow2, a tarball that
 * is not an i386 root filesystem, an id that is taken, too little disk space) leaves the catalog
 * as it was, with a message that says what to do. The catalog is LEAFLAB_CATALOG_DIR or
 * ./catalog, as for the server.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BOOT_LIMITS, IMAGE_ID_PATTERN, SECTOR_SIZE_BYTES, zeroChunkCount, type PartitionInfo } from '../../../lib/images/manifest';
import { catalogDirectory } from '../../../lib/server/catalog';
import { readPartitions, scanDisk } from '../disk-facts';
import { NoBootToRecordError, recordBootSetInto } from '../record-boot-set';
import { writeImageFiles } from '../write-manifest';
import { AddImageError } from './add-image-error';
import { requireFreeSpace } from './free-space';
import { detectInputFormat, idFromFileName, type InputFormat } from './input-format';
import { convertToRaw, inspectQemuDisk } from './qemu-img';
import { copySparse, readHead, requireBootSector } from './raw-disk';
import { tarContentBytes, wrapRootfs } from './rootfs-tarball';

const CHUNK_SIZE_BYTES = 65536;
const MIB = 1024 * 1024;

interface AddImageRequest {
  filePath: string;
  id: string;
  title: string;
  description?: string;
  memoryMiB: number;
  freeMiB: number;
  acpi?: boolean;
  /** Boot the disk once in v86 to record its boot working set (off with --no-boot-set). */
  recordBootSet: boolean;
}

function parseRequest(argv: string[]): AddImageRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        id: { type: 'string' },
        title: { type: 'string' },
        description: { type: 'string' },
        'memory-mib': { type: 'string', default: '256' },
        'free-mib': { type: 'string', default: '1024' },
        acpi: { type: 'string' },
        'no-boot-set': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new AddImageError(`${(error as Error).message}\n${usage()}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new AddImageError(`give exactly one FILE\n${usage()}`);
  const filePath = path.resolve(positionals[0]!);
  const fileName = path.basename(filePath);
  const id = values.id ?? idFromFileName(fileName);
  if (!id || !IMAGE_ID_PATTERN.test(id)) {
    throw new AddImageError(`"${values.id ?? fileName}" does not make an image id: use --id with lower-case letters, digits and dashes (at most 63)`);
  }
  const memoryMiB = Number(values['memory-mib']);
  if (!Number.isSafeInteger(memoryMiB) || memoryMiB < BOOT_LIMITS.memoryMiB.min || memoryMiB > BOOT_LIMITS.memoryMiB.max) {
    throw new AddImageError(`--memory-mib must be a whole number from ${BOOT_LIMITS.memoryMiB.min} to ${BOOT_LIMITS.memoryMiB.max}`);
  }
  const freeMiB = Number(values['free-mib']);
  if (!Number.isSafeInteger(freeMiB) || freeMiB < 0 || freeMiB > 1024 * 1024) throw new AddImageError('--free-mib must be a whole number of MiB');
  if (values.acpi !== undefined && values.acpi !== 'on' && values.acpi !== 'off') throw new AddImageError('--acpi takes on or off');
  const title = values.title?.trim() || fileName;
  return {
    filePath,
    id,
    title,
    ...(values.description !== undefined ? { description: values.description } : {}),
    memoryMiB,
    freeMiB,
    ...(values.acpi !== undefined ? { acpi: values.acpi === 'on' } : {}),
    recordBootSet: !values['no-boot-set'],
  };
}

function usage(): string {
  return 'usage: npm run image:add -- FILE [--id ID] [--title T] [--description D] [--memory-mib 256] [--free-mib 1024] [--acpi on|off] [--no-boot-set]';
}

/** "p1 FAT16 "boot" 24 MiB, p2 ext4 "root" 103 MiB": the partitions in one line, for the catalog. */
function describePartitions(partitions: PartitionInfo[]): string | undefined {
  if (partitions.length === 0) return undefined;
  return partitions
    .map((p) => `p${p.index} ${p.type}${p.label ? ` "${p.label}"` : ''} ${Math.round((p.sectorCount * SECTOR_SIZE_BYTES) / MIB)} MiB`)
    .join(', ');
}

/** How long an added disk may take to reach a shell prompt on its serial console while its boot set is recorded. */
const BOOT_SET_TIMEOUT_MS = 240_000;

/**
 * Records the boot working set into the staged manifest, as the image builds do. A disk of the
 * user's own may never print a shell prompt on the serial console (a graphical login, another
 * console); it is added all the same, without a set, and the lab fetches its boot on demand.
 */
async function recordBootSetOf(staging: string): Promise<void> {
  console.error('image:add: recording the boot working set (booting the disk in v86 to its shell prompt)');
  try {
    await recordBootSetInto(staging, { boots: 1, timeoutMs: BOOT_SET_TIMEOUT_MS });
  } catch (error) {
    // A disk that boots nothing or no serial shell stops the recording early (NoBootToRecordError).
    const reason = (error as Error).message.split('\n')[0];
    const kind = error instanceof NoBootToRecordError ? 'stopped early' : 'failed';
    console.error(`image:add: warning: recording the boot working set ${kind}, so the image is added without one and the lab fetches its boot on demand: ${reason}`);
  }
}

async function addImage(request: AddImageRequest): Promise<void> {
  const fileName = path.basename(request.filePath);
  if (!existsSync(request.filePath)) throw new AddImageError(`${request.filePath} does not exist`);
  const fileStat = statSync(request.filePath);
  if (!fileStat.isFile()) throw new AddImageError(`${request.filePath} is not a regular file`);
  if (fileStat.size === 0) throw new AddImageError(`${fileName} is empty`);

  const catalog = catalogDirectory();
  mkdirSync(catalog, { recursive: true });
  const target = path.join(catalog, request.id);
  if (existsSync(target)) {
    throw new AddImageError(`the id "${request.id}" is taken: ${target} exists. Choose another with --id, or delete that folder first.`);
  }

  const format: InputFormat = detectInputFormat(readHead(request.filePath, 1024));
  console.error(`image:add: ${fileName}: ${format === 'compressed' ? 'a compressed file (taken for a tarball)' : format}`);
  if (format === 'vmdk-descriptor') {
    throw new AddImageError(`${fileName} is a VMDK descriptor that points at other files; add a single-file (monolithic) VMDK: qemu-img convert -O vmdk ${fileName} single.vmdk`);
  }
  if (format === 'raw' && fileStat.size % SECTOR_SIZE_BYTES !== 0) {
    throw new AddImageError(
      `${fileName} is ${fileStat.size} bytes, not a whole number of ${SECTOR_SIZE_BYTES}-byte sectors, so it is not a raw disk image (nor a qcow2, VMDK or tarball: their headers are missing). A download may have been cut short.`,
    );
  }

  const staging = path.join(catalog, `.adding-${request.id}-${process.pid}`);
  const cleanUp = () => rmSync(staging, { recursive: true, force: true });
  const onSignal = () => {
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    mkdirSync(staging);
    const diskPath = path.join(staging, 'disk.img');
    let contents: string[];
    let acpi = request.acpi ?? false;
    if (format === 'raw') {
      requireBootSector(request.filePath, fileName);
      requireFreeSpace(catalog, Math.min(fileStat.size, fileStat.blocks * 512) + 16 * MIB, `copying ${fileName}`);
      copySparse(request.filePath, diskPath);
      contents = [`raw disk image ${fileName}`];
    } else if (format === 'qcow2' || format === 'vmdk') {
      const info = await inspectQemuDisk(request.filePath, format, fileName);
      requireFreeSpace(catalog, Math.min(info.virtualSizeBytes, info.allocatedBytes * 2) + 16 * MIB, `converting ${fileName}`);
      await convertToRaw(request.filePath, format, diskPath, fileName);
      if (statSync(diskPath).size % SECTOR_SIZE_BYTES !== 0) throw new AddImageError(`${fileName}'s disk size is not a whole number of sectors`);
      requireBootSector(diskPath, fileName);
      contents = [`${format} disk ${fileName}, converted to raw`];
    } else {
      const contentBytes = await tarContentBytes(request.filePath, fileName);
      requireFreeSpace(catalog, contentBytes * 1.2 + 128 * MIB, `wrapping ${fileName}`);
      await wrapRootfs(request.filePath, staging, request.id, request.freeMiB);
      const facts = (await import(path.join(staging, 'facts.json'), { with: { type: 'json' } })) as { default: { contents: string[] } };
      contents = facts.default.contents;
      rmSync(path.join(staging, 'facts.json'));
      // The wrapper boots with the project's kernel command line, which keeps ACPI safe for v86.
      acpi = request.acpi ?? true;
    }

    console.error('image:add: hashing the disk and its chunks and finding its all-zero chunks');
    const scan = scanDisk(diskPath, CHUNK_SIZE_BYTES);
    const { partitions } = readPartitions(diskPath);
    const partitionSummary = describePartitions(partitions);
    const fields = {
      id: request.id,
      title: request.title,
      description: request.description ?? `Added with npm run image:add from ${fileName}.`,
      boot: { memoryMiB: request.memoryMiB, vgaMemoryMiB: 8, acpi },
      partitions,
      contents: partitionSummary && format !== 'tar' && format !== 'compressed' ? [...contents, partitionSummary] : contents,
    };
    // Checked as the server will check it, then written with its chunk table (chunks.sha256).
    writeImageFiles(staging, fields, scan, `${request.id}/manifest.json`);
    if (request.recordBootSet) await recordBootSetOf(staging);
    try {
      renameSync(staging, target);
    } catch (error) {
      throw new AddImageError(`the id "${request.id}" was taken while the image was being added (${(error as Error).message}); choose another with --id`);
    }
    const zeroChunks = zeroChunkCount(scan);
    console.log(
      `image:add: added ${target}: ${Math.round(scan.sizeBytes / MIB)} MiB disk, sha256 ${scan.sha256}, ${zeroChunks} of ${Math.ceil(scan.sizeBytes / CHUNK_SIZE_BYTES)} chunks all-zero (never downloaded). Open /lab/${request.id} in the lab.`,
    );
  } catch (error) {
    cleanUp();
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new AddImageError(`too little disk space: the disk filled up while ${fileName} was being added to ${catalog}; nothing was added. Free some space and run it again.`);
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

Promise.resolve()
  .then(() => addImage(parseRequest(process.argv.slice(2))))
  .catch((error: unknown) => {
  if (error instanceof AddImageError) {
    console.error(`image:add: error: ${error.message}`);
    process.exit(2);
  }
  console.error(`image:add: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
