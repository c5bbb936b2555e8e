/** The check that runs before image:add writes anything: enough free space where it will write. */
import { statfsSync } from 'node:fs';
import { AddImageError } from './add-image-error';

const MIB = 1024 * 1024;

export function requireFreeSpace(directory: string, neededBytes: number, what: string): void {
  const stats = statfsSync(directory);
  const freeBytes = Number(stats.bavail) * Number(stats.bsize);
  if (freeBytes < neededBytes) {
    throw new AddImageError(
      `too little disk space: ${what} needs about ${Math.ceil(neededBytes / MIB)} MiB in ${directory}, which has ${Math.floor(freeBytes / MIB)} MiB free. Free some space (or point LEAFLAB_CATALOG_DIR elsewhere) and run it again.`,
    );
  }
}

