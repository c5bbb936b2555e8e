import Link from 'next/link';
import type { Metadata } from 'next';
import { Notice } from '@/app/components/notice';
import { MissingAssetsNotice } from '@/app/components/missing-assets-notice';
import { LabView } from '@/app/lab/[imageId]/lab-view';
import { EMULATOR_ASSETS, missingEmulatorAssets } from '@/lib/server/emulator-assets';
import { loadLesson } from '@/lib/server/lesson-loader';
import { labWorkspaceName } from '@/lib/labs/lab-format';

export const dynamic = 'force-dynamic';

type Params = Promise<{ labId: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { labId } = await params;
  return { title: `${labId} — Leaflab lab` };
}

/** A lesson: the lab's steps beside a machine, in the student's own workspace for this lab. */
export default async function LessonPage({ params }: { params: Params }) {
  const { labId } = await params;
  const load = await loadLesson(labId);
  if (load.kind === 'problem') {
    return (
      <Notice title={load.title}>
        <p>{load.message}</p>
        {load.details && (
          <ul data-testid="lab-problems">
            {load.details.map((detail) => (
              <li key={detail}>
                <code>{detail}</code>
              </li>
            ))}
          </ul>
        )}
        <p>
          <Link href="/">Back to the catalog</Link>
        </p>
      </Notice>
    );
  }
  const missingAssets = missingEmulatorAssets();
  if (missingAssets.length > 0) return <MissingAssetsNotice missing={missingAssets} />;
  return (
    <LabView
      image={load.image}
      assets={EMULATOR_ASSETS}
      diskMode="union"
      workspaceName={labWorkspaceName(load.lab.id)}
      sharedSettings={undefined}
      sharedLayerIds={undefined}
      lesson={{ lab: load.lab, nextLab: load.nextLab, disk: { settings: load.settings, layerIds: load.layerIds } }}
    />
  );
}
