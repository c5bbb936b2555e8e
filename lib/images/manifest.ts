import { parseBootSet, type BootSet } from './boot-set';
import { CHUNK_TABLE_FILE } from './chunk-table';

/**
 * The image manifest: what the catalog knows about one root image. It is written by the
 * image builder beside the raw disk (catalog/<id>/manifest.json) and read by the server,
 * the catalog page and the lab. Nothing in it is trusted before `parseManifest` checks it
 * (design invariant 4): a hand-written manifest for a user's own image may be wrong.
 */

/** Ids name folders and URLs, so they are restricted to a safe alphabet. */
export const IMAGE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** v86 reads disks in 256-byte units and IDE sectors are 512 bytes. */
export const SECTOR_SIZE_BYTES = 512;

/** Names the image's chunk table: always the file chunks.sha256 beside the disk, and its digest. */
export interface ChunkDigestsRef {
  file: typeof CHUNK_TABLE_FILE;
  /** Lower-case hex SHA-256 of the table file. */
  sha256: string;
}

export interface BootSettings {
  /** Guest RAM. */
  memoryMiB: number;
  /** VGA memory. */
  vgaMemoryMiB: number;
  /** v86 ACPI (the default image's kernel command line disables acpiphp, which needs it). */
  acpi: boolean;
}

/** What v86 and the guest accept; a manifest or a share link outside these is refused. */
export const BOOT_LIMITS = {
  memoryMiB: { min: 16, max: 2048 },
  vgaMemoryMiB: { min: 1, max: 256 },
} as const;

export interface PartitionInfo {
  index: number;
  type: string;
  startSector: number;
  sectorCount: number;
  label?: string;
}

export interface ImageManifest {
  id: string;
  title: string;
  description: string;
  sizeBytes: number;
  /** Lower-case hex SHA-256 of the whole raw disk: the image's identity. */
  sha256: string;
  /** Granularity of `zeroChunks`; also the union device's fetch unit. */
  chunkSizeBytes: number;
  /** Run-length list `[firstChunkIndex, chunkCount]` of chunks that hold only zeros. */
  zeroChunks: Array<[number, number]>;
  /** The chunk table beside the disk (see chunk-table.ts) and the SHA-256 of that file, which vouches for every chunk. */
  chunkDigests: ChunkDigestsRef;
  boot: BootSettings;
  partitions: PartitionInfo[];
  /** What is inside, one short line each, for the catalog page (optional in hand-written manifests). */
  contents?: string[];
  /** The chunks a boot to the prompt reads, in first-read order (optional; see boot-set.ts). */
  bootSet?: BootSet;
  /** Commands the image's lessons run first, which the recorder types after the boot prompt (optional). */
  warmCommands?: string[];
  /** The chunks `warmCommands` read besides the boot set, ascending; the lab fetches them after the boot set (optional). */
  warmSet?: BootSet;
}

/** Bounds on `warmCommands`: a few first commands, each one line. */
export const WARM_COMMANDS_LIMITS = { commands: 16, length: 200 } as const;

/** Bounds on `contents`, so a manifest cannot flood the catalog page. */
export const CONTENTS_LIMITS = { lines: 20, lineLength: 300 } as const;

/** A manifest as the API hands it out: with the URL the raw image is served at. */
export interface PublishedImage extends ImageManifest {
  /**
   * Where clients read the raw image: the lab server's digest-named (immutable) URL, or the
   * image on another static host when LEAFLAB_IMAGE_BASE_URL is set.
   */
  url: string;
  /** The lab server's URL for the current build of `id`. */
  latestUrl: string;
  /** The strong ETag every reply from `url` carries, when the lab knows it (its own server). */
  etag?: string;
  /**
   * Where clients read the chunk table (verify it against `chunkDigests.sha256`): the lab
   * server's `/images/<id>/<sha256>.chunks`, or `<base>/<id>/chunks.sha256` on another host.
   */
  chunkDigestsUrl: string;
}

export class ManifestError extends Error {
  constructor(
    readonly source: string,
    problem: string,
  ) {
    super(`Invalid image manifest ${source}: ${problem}`);
    this.name = 'ManifestError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks an untrusted JSON value; `source` names it in error messages (a path or URL). */
export function parseManifest(value: unknown, source: string): ImageManifest {
  const fail = (problem: string): never => {
    throw new ManifestError(source, problem);
  };
  if (!isRecord(value)) return fail('expected a JSON object');
  const { id, title, description, sizeBytes, sha256, chunkSizeBytes, zeroChunks, chunkDigests, boot, partitions, contents, bootSet, warmCommands, warmSet } =
    value;

  if (typeof id !== 'string' || !IMAGE_ID_PATTERN.test(id))
    fail(`"id" must match ${IMAGE_ID_PATTERN} (lower-case letters, digits, dashes)`);
  if (typeof title !== 'string' || title.trim() === '') fail('"title" must be a non-empty string');
  if (typeof description !== 'string') fail('"description" must be a string');
  if (!isCount(sizeBytes) || sizeBytes === 0 || sizeBytes % SECTOR_SIZE_BYTES !== 0)
    fail(`"sizeBytes" must be a positive multiple of ${SECTOR_SIZE_BYTES}`);
  if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256))
    fail('"sha256" must be 64 lower-case hex digits');
  if (!isCount(chunkSizeBytes) || chunkSizeBytes < SECTOR_SIZE_BYTES || (chunkSizeBytes & (chunkSizeBytes - 1)) !== 0)
    fail('"chunkSizeBytes" must be a power of two of at least 512');

  const chunkCount = Math.ceil((sizeBytes as number) / (chunkSizeBytes as number));
  const runs: Array<[number, number]> = [];
  if (!Array.isArray(zeroChunks)) fail('"zeroChunks" must be an array of [firstChunk, count] pairs');
  for (const run of zeroChunks as unknown[]) {
    if (!Array.isArray(run) || run.length !== 2 || !isCount(run[0]) || !isCount(run[1]) || run[1] === 0)
      fail('"zeroChunks" entries must be [firstChunk, count] with count > 0');
    const [first, count] = run as [number, number];
    if (first + count > chunkCount) fail(`"zeroChunks" run [${first}, ${count}] lies past the last chunk ${chunkCount - 1}`);
    runs.push([first, count]);
  }

  if (!isRecord(chunkDigests) || chunkDigests.file !== CHUNK_TABLE_FILE || typeof chunkDigests.sha256 !== 'string' || !SHA256_PATTERN.test(chunkDigests.sha256))
    fail(`"chunkDigests" must be { "file": "${CHUNK_TABLE_FILE}", "sha256": "<64 lower-case hex digits: sha256sum of that file>" }`);

  if (!isRecord(boot)) return fail('"boot" must be an object');
  const { memoryMiB, vgaMemoryMiB, acpi } = boot;
  const { memoryMiB: memoryLimits, vgaMemoryMiB: vgaLimits } = BOOT_LIMITS;
  if (!isCount(memoryMiB) || memoryMiB < memoryLimits.min || memoryMiB > memoryLimits.max)
    fail(`"boot.memoryMiB" must be ${memoryLimits.min}..${memoryLimits.max}`);
  if (!isCount(vgaMemoryMiB) || vgaMemoryMiB < vgaLimits.min || vgaMemoryMiB > vgaLimits.max)
    fail(`"boot.vgaMemoryMiB" must be ${vgaLimits.min}..${vgaLimits.max}`);
  if (typeof acpi !== 'boolean') fail('"boot.acpi" must be true or false');

  const parsedPartitions: PartitionInfo[] = [];
  for (const partition of Array.isArray(partitions) ? partitions : []) {
    if (!isRecord(partition) || !isCount(partition.index) || !isCount(partition.startSector) || !isCount(partition.sectorCount))
      fail('"partitions" entries need index, startSector and sectorCount');
    const p = partition as Record<string, unknown>;
    parsedPartitions.push({
      index: p.index as number,
      type: typeof p.type === 'string' ? p.type : 'unknown',
      startSector: p.startSector as number,
      sectorCount: p.sectorCount as number,
      ...(typeof p.label === 'string' ? { label: p.label } : {}),
    });
  }

  if (
    contents !== undefined &&
    (!Array.isArray(contents) ||
      contents.length > CONTENTS_LIMITS.lines ||
      !contents.every((line) => typeof line === 'string' && line.trim() !== '' && line.length <= CONTENTS_LIMITS.lineLength))
  )
    fail(`"contents" must be a list of at most ${CONTENTS_LIMITS.lines} non-empty lines of at most ${CONTENTS_LIMITS.lineLength} characters`);

  if (
    warmCommands !== undefined &&
    (!Array.isArray(warmCommands) ||
      warmCommands.length > WARM_COMMANDS_LIMITS.commands ||
      !warmCommands.every((command) => typeof command === 'string' && command.trim() !== '' && command.length <= WARM_COMMANDS_LIMITS.length && !/[\r\n]/.test(command)))
  )
    fail(`"warmCommands" must be a list of at most ${WARM_COMMANDS_LIMITS.commands} one-line shell commands of at most ${WARM_COMMANDS_LIMITS.length} characters`);

  const geometry = { sizeBytes: sizeBytes as number, sha256: sha256 as string, chunkSizeBytes: chunkSizeBytes as number, zeroChunks: runs };
  const parsedBootSet = bootSet === undefined ? undefined : parseBootSet(bootSet, geometry, fail);
  const parsedWarmSet = warmSet === undefined ? undefined : parseBootSet(warmSet, geometry, fail, 'warmSet');

  return {
    id: id as string,
    title: (title as string).trim(),
    description: description as string,
    sizeBytes: sizeBytes as number,
    sha256: sha256 as string,
    chunkSizeBytes: chunkSizeBytes as number,
    zeroChunks: runs,
    chunkDigests: { file: CHUNK_TABLE_FILE, sha256: (chunkDigests as { sha256: string }).sha256 },
    boot: { memoryMiB: memoryMiB as number, vgaMemoryMiB: vgaMemoryMiB as number, acpi: acpi as boolean },
    partitions: parsedPartitions,
    ...(contents !== undefined ? { contents: (contents as string[]).map((line) => line.trim()) } : {}),
    ...(parsedBootSet ? { bootSet: parsedBootSet } : {}),
    ...(warmCommands !== undefined ? { warmCommands: [...(warmCommands as string[])] } : {}),
    ...(parsedWarmSet ? { warmSet: parsedWarmSet } : {}),
  };
}

/** How many chunks the manifest lists as all-zero (never fetched). */
export function zeroChunkCount(manifest: Pick<ImageManifest, 'zeroChunks'>): number {
  return manifest.zeroChunks.reduce((sum, [, count]) => sum + count, 0);
}

/** Bytes of the disk outside its all-zero chunks: the most a client could ever have to fetch. */
export function nonZeroBytes(manifest: Pick<ImageManifest, 'zeroChunks' | 'sizeBytes' | 'chunkSizeBytes'>): number {
  return Math.max(0, manifest.sizeBytes - zeroChunkCount(manifest) * manifest.chunkSizeBytes);
}

/** The strong validator every server of this image must send; derived from the content digest. */
export function imageEtag(manifest: Pick<ImageManifest, 'sha256'>): string {
  return `"sha256-${manifest.sha256}"`;
}

/** The strong validator of the image's chunk table, derived from the table's own digest. */
export function chunkTableEtag(manifest: Pick<ImageManifest, 'chunkDigests'>): string {
  return `"sha256-${manifest.chunkDigests.sha256}"`;
}

/**
 * Where an image is published. By default the lab server itself serves it (see
 * lib/server/image-request.ts) and its validator is known. With `imageBaseUrl`, another static
 * host serves the catalog folder as it is (`<base>/<id>/disk.img`, `<base>/<id>/chunks.sha256`);
 * its ETag is not known in advance, so clients pin the first one they see.
 */
export function publishImage(manifest: ImageManifest, imageBaseUrl?: string): PublishedImage {
  const latestUrl = `/images/${manifest.id}/disk.img`;
  if (imageBaseUrl) {
    const folderUrl = `${imageBaseUrl.replace(/\/+$/, '')}/${manifest.id}`;
    return { ...manifest, url: `${folderUrl}/disk.img`, latestUrl, chunkDigestsUrl: `${folderUrl}/${CHUNK_TABLE_FILE}` };
  }
  return {
    ...manifest,
    url: `/images/${manifest.id}/${manifest.sha256}.img`,
    latestUrl,
    etag: imageEtag(manifest),
    chunkDigestsUrl: `/images/${manifest.id}/${manifest.sha256}.chunks`,
  };
}

/** Checks LEAFLAB_IMAGE_BASE_URL-style input: an absolute http(s) URL, or nothing. */
export function parseImageBaseUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`LEAFLAB_IMAGE_BASE_URL must be an absolute http(s) URL such as https://images.example.org/catalog, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`LEAFLAB_IMAGE_BASE_URL must use http or https, got "${value}"`);
  }
  if (url.search || url.hash) throw new Error(`LEAFLAB_IMAGE_BASE_URL must not have a query or fragment, got "${value}"`);
  return url.href;
}
