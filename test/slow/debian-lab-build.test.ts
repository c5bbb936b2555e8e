/**
 * Slow lane (npm run test:slow, about 10 minutes): debian-lab, like the default image, builds
 * again from the same inputs to the same sha-256, with every unpacked package in a noexec folder
 * (as on a host that cannot execute 32-bit code). Its packages are configured by dpkg inside
 * v86, so this also proves that what the maintainer scripts write comes out the same each time.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@/lib/images/manifest';
import { buildWithNoexecWorkDir } from '../support/noexec-build';

const catalogImage = path.join(process.cwd(), 'catalog', 'debian-lab');
const secondBuild = mkdtempSync(path.join(tmpdir(), 'leaflab-debian-lab-'));

async function sha256(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

afterAll(() => rmSync(secondBuild, { recursive: true, force: true }));

describe('the debian-lab build', () => {
  it('gives the same sha-256 when built again where unpacked packages cannot be executed', async () => {
    const first = parseManifest(JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')), 'catalog');
    expect(await sha256(path.join(catalogImage, 'disk.img'))).toBe(first.sha256);

    const { status, log } = buildWithNoexecWorkDir(['debian-lab', '--force', '--out', secondBuild]);
    expect(status, log.slice(-4000)).toBe(0);
    expect(await sha256(path.join(secondBuild, 'disk.img'))).toBe(first.sha256);
    expect(JSON.parse(readFileSync(path.join(secondBuild, 'manifest.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')),
    );
  }, 3_600_000);
});
