/**
 * The lab's HTTP server: Next.js for pages and APIs, plus the image server for /images/.
 * A custom server because raw images need exact Range/Content-Length behaviour that Next's
 * public/ and route handlers do not give (see lib/server/image-request.ts).
 *
 *   tsx server.ts          production (after `next build`); npm start does both
 *   tsx server.ts --dev    development with hot reload
 * PORT (default 3000) and HOST (default: all interfaces) choose where it listens.
 * LEAFLAB_CATALOG_DIR names the catalog folder (default ./catalog); LEAFLAB_IMAGE_BASE_URL makes
 * clients read the images from another static host that serves that folder with Range support.
 */
import { createServer } from 'node:http';
import next from 'next';
import { imageBaseUrl, loadCatalog, type Catalog } from './lib/server/catalog';
import { IMAGE_PATH_PREFIX, serveImage } from './lib/server/image-request';

const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
  process.exit(2);
}

// The catalog is re-read at most once a second, so a rebuilt image is picked up without a
// restart while a boot's hundreds of range requests do not each re-read the folder.
let cachedCatalog: { loadedAtMs: number; catalog: Promise<Catalog> } | undefined;
function currentCatalog(): Promise<Catalog> {
  const nowMs = Date.now();
  if (!cachedCatalog || nowMs - cachedCatalog.loadedAtMs > 1000) {
    cachedCatalog = { loadedAtMs: nowMs, catalog: loadCatalog() };
  }
  return cachedCatalog.catalog;
}

try {
  imageBaseUrl(); // a malformed LEAFLAB_IMAGE_BASE_URL stops the server here, not on a page
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const app = next({ dev, port, ...(host ? { hostname: host } : {}) });
const handleWithNext = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  if ((req.url ?? '').startsWith(IMAGE_PATH_PREFIX)) {
    currentCatalog()
      .then((catalog) => serveImage(req, res, catalog))
      .catch((error: Error) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`Cannot read the image catalog: ${error.message}`);
      });
    return;
  }
  void handleWithNext(req, res);
});

server.listen(port, host, () => {
  const shownHost = host && host !== '0.0.0.0' ? host : 'localhost';
  console.log(`Leaflab ${dev ? '(dev) ' : ''}ready on http://${shownHost}:${port}`);
});
