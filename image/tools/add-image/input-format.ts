/**
 * What kind of file `npm run image:add` was given, from its first bytes (never from its name):
 * a qcow2 or VMDK disk, a tar archive (plain or compressed: a root filesystem to wrap), or else
 * a raw disk. Pure, so it is unit-tested on made-up headers.
 */
export type InputFormat = 'raw' | 'qcow2' | 'vmdk' | 'vmdk-descriptor' | 'tar' | 'compressed';

const QCOW2_MAGIC = [0x51, 0x46, 0x49, 0xfb]; // "QFI\xfb"
const VMDK_SPARSE_MAGIC = [0x4b, 0x44, 0x4d, 0x56]; // "KDMV"
const COMPRESSED_MAGICS = [
  [0x1f, 0x8b], // gzip
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0x42, 0x5a, 0x68], // bzip2 "BZh"
];
/** "ustar" at offset 257: POSIX and GNU tar headers. */
const TAR_MAGIC_OFFSET = 257;

function startsWith(head: Uint8Array, magic: number[], offset = 0): boolean {
  return head.length >= offset + magic.length && magic.every((byte, i) => head[offset + i] === byte);
}

/** `head`: the file's first bytes (512 or more, or the whole file if it is smaller). */
export function detectInputFormat(head: Uint8Array): InputFormat {
  if (startsWith(head, QCOW2_MAGIC)) return 'qcow2';
  if (startsWith(head, VMDK_SPARSE_MAGIC)) return 'vmdk';
  if (new TextDecoder('latin1').decode(head.subarray(0, 64)).includes('# Disk DescriptorFile')) return 'vmdk-descriptor';
  if (startsWith(head, [...'ustar'].map((c) => c.charCodeAt(0)), TAR_MAGIC_OFFSET)) return 'tar';
  // A compressed file is taken for a compressed tarball: GNU tar reads it, and says so if not.
  if (COMPRESSED_MAGICS.some((magic) => startsWith(head, magic))) return 'compressed';
  return 'raw';
}

/** "my_Disk (2).qcow2" -> "my-disk-2": an image id from a file name, or undefined if none is left. */
export function idFromFileName(fileName: string): string | undefined {
  const base = fileName.replace(/\.(tar\.(gz|xz|zst|bz2)|tgz|txz|img|raw|qcow2|vmdk|tar)$/i, '');
  const id = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return id === '' ? undefined : id;
}
