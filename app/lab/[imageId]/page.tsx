import Link from 'next/link';
import type { Metadata } from 'next';
import { DISK_MODES, isDiskMode, type DiskMode } from '@/lib/lab/disk-backends';
import { parseShareParams } from '@/lib/lab/share-link';
import { DEFAULT_WORKSPACE_NAME, workspaceNameProblem } from '@/lib/workspaces/workspace-name';
import { verifiedCatalog } from '@/lib/server/catalog-service';
import { describePublishedLayer } from '@/lib/server/layers/layer-service';
import { Notice } from '@/app/components/notice';
import { MissingAssetsNotice } from '@/app/components/missing-assets-notice';
import { EMULATOR_ASSETS, missingEmulatorAssets } from '@/lib/server/emulator-assets';
import { listServedLabs } from '@/lib/server/labs';
import { LabView } from './lab-view';

export const dynamic = 'force-dynamic';

type Params = Promise<{ imageId: string }>;
type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The disk a lab uses unless `?disk=` names another (see lib/lab/disk-backends.ts). */
const DEFAULT_DISK_MODE: DiskMode = 'union';

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { imageId } = await params;
  return { title: `${imageId} — Leaflab` };
}

export default async function LabPage({ params, searchParams }: { params: Params; searchParams: SearchParams }) {
  const { imageId } = await params;
  const query = await searchParams;
  const { disk = DEFAULT_DISK_MODE, ws = DEFAULT_WORKSPACE_NAME } = query;
  if (typeof disk !== 'string' || !isDiskMode(disk)) {
    return (
      <Notice title="Unknown disk mode">
        <p>
          The link asks for the disk mode <code>{String(disk)}</code>, which does not exist. Use one of{' '}
          {DISK_MODES.map((mode, i) => (
            <span key={mode}>
              {i > 0 && ', '}
              <Link href={`/lab/${encodeURIComponent(imageId)}?disk=${mode}`}>{mode}</Link>
            </span>
          ))}
          , or leave it out for the default ({DEFAULT_DISK_MODE}).
        </p>
      </Notice>
    );
  }
  if (typeof ws !== 'string' || workspaceNameProblem(ws)) {
    return (
      <Notice title="This link names no valid workspace">
        <p>
          {typeof ws === 'string' ? workspaceNameProblem(ws) : 'The link names more than one workspace.'} The link asked for{' '}
          <code>{String(ws)}</code>.
        </p>
        <p>
          <Link href={`/lab/${encodeURIComponent(imageId)}`}>Open the default workspace</Link> or <Link href="/">go to the catalog</Link>.
        </p>
      </Notice>
    );
  }
  const share = parseShareParams(query);
  if (share.kind === 'malformed') {
    return (
      <Notice title="This share link is damaged">
        <p>The link is incomplete or was changed after it was copied, so Leaflab cannot tell which machine to open:</p>
        <ul data-testid="share-link-problems">
          {share.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
        <p>
          Ask for the link again, or <Link href={`/lab/${encodeURIComponent(imageId)}`}>open this image&apos;s default workspace</Link>.
        </p>
      </Notice>
    );
  }
  const catalog = await verifiedCatalog();
  const entry = catalog.entries.get(imageId);

  if (!entry) {
    const problem = catalog.problems.find((p) => p.folder === imageId);
    return (
      <Notice title={problem ? `Image “${imageId}” cannot be served` : `No image “${imageId}”`}>
        {problem ? (
          <p>{problem.message}</p>
        ) : (
          <p>
            The catalog has no image with this id.{' '}
            {catalog.entries.size === 0 ? (
              <>
                No image is built yet: run <code>npm run image</code> on the server.
              </>
            ) : (
              <>Available: {[...catalog.entries.keys()].join(', ')}.</>
            )}
          </p>
        )}
        <p>
          <Link href="/">Back to the catalog</Link>
        </p>
      </Notice>
    );
  }

  const missingAssets = missingEmulatorAssets();
  if (missingAssets.length > 0) return <MissingAssetsNotice missing={missingAssets} />;

  if (share.kind === 'share' && share.request.sha256 !== entry.published.sha256) {
    return (
      <Notice title="The image of this share link has changed">
        <p>
          The link was made for image <code>{imageId}</code> with digest <code>{share.request.sha256}</code>, but this server now
          serves digest <code>{entry.published.sha256}</code>. Leaflab does not boot a different disk than the one the link
          describes.
        </p>
        <p>
          Ask for a new link, or <Link href={`/lab/${encodeURIComponent(imageId)}`}>open the current image</Link>.
        </p>
      </Notice>
    );
  }

  let sharedLayerIds: string[] | undefined;
  const layerId = share.kind === 'share' ? share.request.layerId : undefined;
  if (layerId !== undefined) {
    const lookup = await describePublishedLayer(layerId);
    if (lookup.kind !== 'ok') {
      return (
        <Notice title={lookup.kind === 'unknown' ? 'This shared environment does not exist here' : 'This environment link is damaged'}>
          <p data-testid="layer-problem">
            {lookup.kind === 'unknown' ? (
              <>
                This server has no published environment <code>{layerId}</code>. It may have been published to another Leaflab server;
                open the link on that server, or ask for a new link.
              </>
            ) : (
              <>The link&apos;s environment id is not one Leaflab makes. Ask for the link again.</>
            )}
          </p>
          <p>
            <Link href={`/lab/${encodeURIComponent(imageId)}`}>Open this image&apos;s default workspace</Link>.
          </p>
        </Notice>
      );
    }
    const root = lookup.descriptor.root;
    if (root.id !== imageId || root.sha256 !== entry.published.sha256 || root.sizeBytes !== entry.published.sizeBytes) {
      return (
        <Notice title="This environment was made on another image">
          <p data-testid="layer-problem">
            Environment <code>{layerId}</code> holds changes to image <code>{root.id}</code> with digest <code>{root.sha256}</code>, but
            this link opens <code>{imageId}</code> with digest <code>{entry.published.sha256}</code>. Leaflab never lays changes over a
            disk they were not made on.
          </p>
          <p>
            {root.id !== imageId && catalog.entries.has(root.id) ? (
              <Link href={`/lab/${encodeURIComponent(root.id)}?layer=${layerId}&share=1&sha256=${root.sha256}&memory=${entry.published.boot.memoryMiB}&vga=${entry.published.boot.vgaMemoryMiB}&acpi=${entry.published.boot.acpi ? 'on' : 'off'}`}>
                Open it on {root.id}
              </Link>
            ) : (
              <Link href={`/lab/${encodeURIComponent(imageId)}`}>Open this image&apos;s default workspace</Link>
            )}
            .
          </p>
        </Notice>
      );
    }
    sharedLayerIds = lookup.chain;
  }

  const labsOnImage = (await listServedLabs())
    .filter((lab) => lab.image === imageId)
    .map(({ id, title, description, steps }) => ({ id, title, description, stepCount: steps.length }));
  return (
    <LabView
      image={entry.published}
      assets={EMULATOR_ASSETS}
      diskMode={disk}
      workspaceName={ws}
      sharedSettings={share.kind === 'share' ? share.request.settings : undefined}
      sharedLayerIds={sharedLayerIds}
      labsOnImage={labsOnImage}
    />
  );
}
