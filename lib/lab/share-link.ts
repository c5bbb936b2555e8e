/**
 * Share links: `/lab/<imageId>?share=1&sha256=<digest>&memory=<MiB>&vga=<MiB>&acpi=on|off`
 * opens the same image and machine settings in a fresh workspace of whoever opens it; with
 * `&layer=<published layer id>` that workspace's disk stacks the published environment (the
 * layer and the chain under it) under the recipient's own empty leaf. The
 * digest pins the image version the link was made on: if the server now serves another one,
 * the link says so instead of booting something else. Every parameter is checked (design
 * invariant 4); a malformed link gets a page that names each problem.
 */
import { BOOT_LIMITS, type BootSettings } from '../images/manifest';

export interface ShareRequest {
  sha256: string;
  settings: BootSettings;
  /** A published layer (64 hex) the fresh workspace stacks, if the link carries one. */
  layerId?: string;
}

export type ShareParse = { kind: 'none' } | { kind: 'share'; request: ShareRequest } | { kind: 'malformed'; problems: string[] };

const SHARE_KEYS = ['share', 'sha256', 'memory', 'vga', 'acpi', 'layer'] as const;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const COUNT_PATTERN = /^[1-9][0-9]{0,5}$/;

/** The path (with query) of a share link for `image` booted with `settings`. */
export function shareLinkPath(image: { id: string; sha256: string }, settings: BootSettings, layerId?: string): string {
  const query = new URLSearchParams({
    share: '1',
    sha256: image.sha256,
    memory: String(settings.memoryMiB),
    vga: String(settings.vgaMemoryMiB),
    acpi: settings.acpi ? 'on' : 'off',
    ...(layerId === undefined ? {} : { layer: layerId }),
  });
  return `/lab/${encodeURIComponent(image.id)}?${query}`;
}

type SearchParams = Record<string, string | string[] | undefined>;

function mibParam(params: SearchParams, key: 'memory' | 'vga', limits: { min: number; max: number }, problems: string[]): number {
  const value = params[key];
  if (typeof value !== 'string' || !COUNT_PATTERN.test(value) || Number(value) < limits.min || Number(value) > limits.max) {
    problems.push(`"${key}" must be a whole number of MiB from ${limits.min} to ${limits.max}${value === undefined ? ' and is missing' : ''}.`);
    return 0;
  }
  return Number(value);
}

/** Reads the share parameters of a lab URL; `none` when the URL has none of them. */
export function parseShareParams(params: SearchParams): ShareParse {
  if (!SHARE_KEYS.some((key) => params[key] !== undefined)) return { kind: 'none' };
  const problems: string[] = [];
  for (const key of SHARE_KEYS) {
    if (Array.isArray(params[key])) problems.push(`"${key}" appears more than once.`);
  }
  if (params.share !== '1') problems.push('"share" must be 1: the link is missing it or was changed.');
  if (params.ws !== undefined) problems.push('A share link opens a fresh workspace, so it cannot also name one ("ws").');
  const sha256 = params.sha256;
  if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) {
    problems.push('"sha256" must be the image digest: 64 lower-case hex digits.');
  }
  const memoryMiB = mibParam(params, 'memory', BOOT_LIMITS.memoryMiB, problems);
  const vgaMemoryMiB = mibParam(params, 'vga', BOOT_LIMITS.vgaMemoryMiB, problems);
  const acpi = params.acpi;
  if (acpi !== 'on' && acpi !== 'off') problems.push('"acpi" must be on or off.');
  const layer = params.layer;
  if (layer !== undefined && (typeof layer !== 'string' || !SHA256_PATTERN.test(layer))) {
    problems.push('"layer" must be a published environment\'s id: 64 lower-case hex digits.');
  }
  if (problems.length > 0) return { kind: 'malformed', problems };
  const settings = { memoryMiB, vgaMemoryMiB, acpi: acpi === 'on' };
  return { kind: 'share', request: { sha256: sha256 as string, settings, ...(typeof layer === 'string' ? { layerId: layer } : {}) } };
}
