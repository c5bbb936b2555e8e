import { listServedLabs } from '@/lib/server/labs';

export const dynamic = 'force-dynamic';

/** GET /api/labs: every valid lab with its steps (text left out); invalid labs are logged and left out. */
export async function GET(): Promise<Response> {
  return Response.json(await listServedLabs(), { headers: { 'Cache-Control': 'no-store' } });
}
