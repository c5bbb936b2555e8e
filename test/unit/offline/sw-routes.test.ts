import { describe, expect, it } from 'vitest';
import { isWarmMessage, swRouteOf, type SwRequestInfo } from '@/lib/offline/sw-routes';

const ORIGIN = 'http://127.0.0.1:3000';
const SHA = 'ab'.repeat(32);

function route(path: string, overrides: Partial<SwRequestInfo> = {}) {
  return swRouteOf({ method: 'GET', url: new URL(path, ORIGIN), origin: ORIGIN, navigate: false, hasRangeHeader: false, rsc: false, ...overrides });
}

describe('the service worker routes', () => {
  it('keeps pages, the catalog API and the emulator network-first', () => {
    expect(route('/lab/leaflab-linux?ws=week-1', { navigate: true })).toBe('network-first');
    expect(route('/', { navigate: true })).toBe('network-first');
    expect(route('/api/images')).toBe('network-first');
    expect(route('/v86/v86.wasm')).toBe('network-first');
    expect(route('/v86/bios.bin')).toBe('network-first');
  });

  it('serves digest-named, immutable files cache-first', () => {
    expect(route('/_next/static/chunks/app-1234.js')).toBe('cache-first');
    expect(route(`/images/leaflab-linux/${SHA}.chunks`)).toBe('cache-first');
    expect(route(`/layers/${SHA}/layer.json`)).toBe('cache-first');
    expect(route(`/layers/${SHA}/chunks.sha256`)).toBe('cache-first');
  });

  it('never touches root images, Range requests, uploads, layer bodies, RSC fetches, other methods or origins', () => {
    expect(route(`/images/leaflab-linux/${SHA}.img`)).toBe('passthrough');
    expect(route('/images/leaflab-linux/disk.img')).toBe('passthrough');
    expect(route('/images/leaflab-linux/chunks.sha256')).toBe('passthrough');
    expect(route(`/images/leaflab-linux/${SHA}.chunks`, { hasRangeHeader: true })).toBe('passthrough');
    expect(route('/v86/v86.wasm', { hasRangeHeader: true })).toBe('passthrough');
    expect(route(`/api/layers/${SHA}`, { method: 'PUT' })).toBe('passthrough');
    expect(route(`/api/layers/${SHA}/chunks/0`)).toBe('passthrough');
    expect(route(`/layers/${SHA}/body`)).toBe('passthrough');
    expect(route(`/layers/${SHA}/body`, { hasRangeHeader: true })).toBe('passthrough');
    expect(route(`/layers/${SHA}/layer.json`, { hasRangeHeader: true })).toBe('passthrough');
    expect(route('/layers/not-an-id/layer.json')).toBe('passthrough');
    expect(route(`/layers/${SHA}/other`)).toBe('passthrough');
    expect(route('/lab/leaflab-linux?_rsc=1x2', { rsc: true })).toBe('passthrough');
    expect(route('/api/images', { method: 'HEAD' })).toBe('passthrough');
    expect(route('https://images.example.org/catalog/leaflab-linux/disk.img')).toBe('passthrough');
    expect(route('https://cdn.example.org/_next/static/x.js')).toBe('passthrough');
    expect(route('/sw.js')).toBe('passthrough');
  });

  it('accepts only well-formed warm messages', () => {
    expect(isWarmMessage({ type: 'leaflab-sw-warm', urls: ['/a'], pages: ['/lab/x?share=1'] })).toBe(true);
    expect(isWarmMessage({ type: 'leaflab-sw-warm', urls: [1], pages: [] })).toBe(false);
    expect(isWarmMessage({ type: 'leaflab-sw-warm', urls: ['/a'] })).toBe(false);
    expect(isWarmMessage({ type: 'leaflab-sw-warm', urls: [], pages: [2] })).toBe(false);
    expect(isWarmMessage({ type: 'other', urls: [] })).toBe(false);
    expect(isWarmMessage(null)).toBe(false);
  });
});
