import { verifiedCatalog } from '@/lib/server/catalog-service';

export const dynamic = 'force-dynamic';

/** GET /api/images: the verified catalog's manifests, each with the URLs its raw image and chunk table are served at. */
export async function GET(): Promise<Response> {
  const catalog = await verifiedCatalog();
  return Response.json([...catalog.entries.values()].map((entry) => entry.published), {
    headers: { 'Cache-Control': 'no-store' },
  });
}
