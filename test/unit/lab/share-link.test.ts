import { describe, expect, it } from 'vitest';
import { parseShareParams, shareLinkPath } from '@/lib/lab/share-link';

const IMAGE = { id: 'leaflab-linux', sha256: 'ab'.repeat(32) };
const SETTINGS = { memoryMiB: 256, vgaMemoryMiB: 8, acpi: false };

function paramsOf(path: string): Record<string, string> {
  return Object.fromEntries(new URL(path, 'http://lab.test').searchParams);
}

describe('share links', () => {
  it('round-trips the image digest and machine settings', () => {
    const path = shareLinkPath(IMAGE, SETTINGS);
    expect(path.startsWith('/lab/leaflab-linux?')).toBe(true);
    expect(parseShareParams(paramsOf(path))).toEqual({ kind: 'share', request: { sha256: IMAGE.sha256, settings: SETTINGS } });
  });

  it('is not a share link without share parameters', () => {
    expect(parseShareParams({ ws: 'a', disk: 'union' })).toEqual({ kind: 'none' });
  });

  it.each([
    [{ share: '1' }, /sha256.*memory.*vga.*acpi/s],
    [{ share: '2', sha256: IMAGE.sha256, memory: '128', vga: '8', acpi: 'on' }, /"share" must be 1/],
    [{ share: '1', sha256: 'XYZ', memory: '128', vga: '8', acpi: 'on' }, /"sha256"/],
    [{ share: '1', sha256: IMAGE.sha256, memory: '12', vga: '8', acpi: 'on' }, /"memory" must be a whole number of MiB from 16 to 2048/],
    [{ share: '1', sha256: IMAGE.sha256, memory: '1e3', vga: '8', acpi: 'on' }, /"memory"/],
    [{ share: '1', sha256: IMAGE.sha256, memory: '128', vga: '0', acpi: 'on' }, /"vga"/],
    [{ share: '1', sha256: IMAGE.sha256, memory: '128', vga: '8', acpi: 'yes' }, /"acpi" must be on or off/],
    [{ share: '1', sha256: IMAGE.sha256, memory: '128', vga: '8', acpi: 'on', ws: 'mine' }, /cannot also name one/],
    [{ memory: '128' }, /"share" must be 1/],
  ])('names what is wrong with %j', (params, problem) => {
    const parsed = parseShareParams(params);
    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.problems.join(' ')).toMatch(problem);
  });

  it('refuses repeated parameters', () => {
    const parsed = parseShareParams({ share: '1', sha256: IMAGE.sha256, memory: ['128', '256'], vga: '8', acpi: 'on' });
    expect(parsed.kind === 'malformed' && parsed.problems.join(' ')).toMatch(/"memory" appears more than once/);
  });
});
