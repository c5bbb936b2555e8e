import { loadCatalog } from '@/lib/server/catalog';

export const dynamic = 'force-dynamic';

/** GET /api/images: the catalog's manifests, each with the URL its raw image is served at. */
export async function GET(): Promise<Response> {
  const catalog = await loadCatalog();
  return Response.json([...catalog.entries.values()].map((entry) => entry.published), {
    headers: { 'Cache-Control': 'no-store' },
  });
}
