import { describe, expect, it } from 'vitest';
import { detectInputFormat, idFromFileName } from '@/image/tools/add-image/input-format';

function header(bytes: number[], offset = 0, size = 1024): Uint8Array {
  const head = new Uint8Array(size);
  head.set(bytes, offset);
  return head;
}

describe('detectInputFormat (from the first bytes, never the name)', () => {
  it.each([
    ['qcow2', header([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), 'qcow2'],
    ['a monolithic VMDK', header([0x4b, 0x44, 0x4d, 0x56]), 'vmdk'],
    ['a VMDK descriptor', new TextEncoder().encode('# Disk DescriptorFile\nversion=1\n'), 'vmdk-descriptor'],
    ['a tar archive', header([...'ustar'].map((c) => c.charCodeAt(0)), 257), 'tar'],
    ['gzip', header([0x1f, 0x8b, 0x08]), 'compressed'],
    ['xz', header([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'compressed'],
    ['zstd', header([0x28, 0xb5, 0x2f, 0xfd]), 'compressed'],
    ['an MBR disk', header([0x55, 0xaa], 510), 'raw'],
    ['zeros', new Uint8Array(1024), 'raw'],
    ['a file shorter than a tar header', new Uint8Array(100), 'raw'],
  ] as const)('%s', (_case, head, format) => {
    expect(detectInputFormat(head)).toBe(format);
  });
});

describe('idFromFileName', () => {
  it.each([
    ['my_Disk (2).qcow2', 'my-disk-2'],
    ['ubuntu-22.04.img', 'ubuntu-22-04'],
    ['mylab.tar.gz', 'mylab'],
    ['Course Env.tar.zst', 'course-env'],
    ['disk.vmdk', 'disk'],
    ['---.img', undefined],
    [`${'a'.repeat(80)}.raw`, 'a'.repeat(63)],
  ])('%s -> %s', (fileName, id) => {
    expect(idFromFileName(fileName)).toBe(id);
  });
});
