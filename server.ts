/**
 * The lab's HTTP server: Next.js for pages and APIs, plus the image server for /images/.
 * A custom server because raw images need exact Range/Content-Length behaviour that Next's
 * public/ and route handlers do not give (see lib/server/image-request.ts).
 *
 *   tsx server.ts          production (after `next build`); npm start does both
 *   tsx server.ts --dev    development with hot reload
 * PORT (default 3000) and HOST (default: all interfaces) choose where it listens.
 * Layers are stored per lib/server/layers/layer-store-config.ts (LEAFLAB_LAYER_DIR, LEAFLAB_LAYER_S3_*,
 * LEAFLAB_LAYER_MAX_BYTES), uploaded under /api/layers/ and served under /layers/.
 * LEAFLAB_CATALOG_DIR names the catalog folder (default ./catalog); LEAFLAB_IMAGE_BASE_URL makes
 * clients read the images from another static host that serves that folder with Range support.
 */
import { createServer } from 'node:http';
import next from 'next';
import { imageBaseUrl } from './lib/server/catalog';
import { catalogService } from './lib/server/catalog-service';
import { IMAGE_PATH_PREFIX, serveImage } from './lib/server/image-request';
import { layerService } from './lib/server/layers/layer-service';
import type { LayerStore } from './lib/server/layers/layer-store';
import { LAYER_PATH_PREFIX, serveLayer } from './lib/server/layers/layer-serve-request';
import { LAYER_API_PREFIX, serveLayerUpload } from './lib/server/layers/layer-upload-request';

const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
  process.exit(2);
}

try {
  imageBaseUrl(); // a malformed LEAFLAB_IMAGE_BASE_URL stops the server here, not on a page
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

// Published layers (lib/server/layers/): a directory, or S3 when LEAFLAB_LAYER_S3_BUCKET is set.
let layers: LayerStore;
try {
  layers = layerService();
} catch (error) {
  console.error(`The layer store is misconfigured: ${(error as Error).message}`);
  process.exit(2);
}
console.log(`layers: stored in ${layers.objects.description}, bodies up to ${layers.maxBodyBytes} bytes`);

// Every disk of the catalog is hashed once, here, before the server listens (it logs how long
// that took); the image server and Next's pages share this one service (lib/server/catalog-service.ts).
const catalog = catalogService();
const app = next({ dev, port, ...(host ? { hostname: host } : {}) });
const handleWithNext = app.getRequestHandler();
await Promise.all([app.prepare(), catalog.ready()]);

const server = createServer((req, res) => {
  if ((req.url ?? '').startsWith(IMAGE_PATH_PREFIX)) {
    void serveImage(req, res, catalog);
    return;
  }
  if ((req.url ?? '').startsWith(LAYER_PATH_PREFIX)) {
    void serveLayer(req, res, layers);
    return;
  }
  if ((req.url ?? '').startsWith(LAYER_API_PREFIX)) {
    void serveLayerUpload(req, res, layers);
    return;
  }
  handleWithNext(req, res).catch((error: Error) => {
    console.error(`Next could not answer ${req.method} ${req.url}: ${error.stack ?? error.message}`);
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal error');
    } else {
      res.destroy();
    }
  });
});

server.listen(port, host, () => {
  const shownHost = host && host !== '0.0.0.0' ? host : 'localhost';
  console.log(`Leaflab ${dev ? '(dev) ' : ''}ready on http://${shownHost}:${port}`);
});
