import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseManifest, type ImageManifest } from '../../../lib/images/manifest';

/** The built-in image every e2e test boots (built by `npm run image`). */
export const DEFAULT_IMAGE_ID = 'leaflab-linux';

export function defaultManifest(): ImageManifest {
  const manifestPath = path.join(process.cwd(), 'catalog', DEFAULT_IMAGE_ID, 'manifest.json');
  return parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
}
