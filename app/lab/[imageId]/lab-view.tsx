'use client';

import { ErrorMessage } from '@/app/components/error-message';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { BootSettings, PublishedImage } from '@/lib/images/manifest';
import { installAutomationHook, type LabActions, type LessonAutomation } from '@/lib/lab/automation-hook';
import type { DiskMode } from '@/lib/lab/disk-backends';
import { INITIAL_SNAPSHOT, LabSession, type LabAssets } from '@/lib/lab/lab-session';
import {
  DEFAULT_WORKSPACE_NAME,
  deleteWorkspace,
  discardWorkspaceChanges,
  forkCheckpoint,
  restoreCheckpoint,
  firstFreeWorkspaceName,
  withWorkspaceRegistry,
  WorkspaceRegistryError,
  type LeafDeletionOptions,
  type WorkspaceRecord,
} from '@/lib/workspaces';
import { BlockMap } from './block-map';
import { CheckpointsPanel } from './checkpoints-panel';
import { openPublishedLayerFromServer, publishCheckpointChain } from '@/lib/lab/published-layers';
import { DeletionStatusLine, useDeletionStatus } from './deletion-status';
import { DownloadDiskButton } from './download-disk-button';
import { ImportDiskForm } from './import-disk-form';
import { MachinePanel } from './machine-panel';
import { OfflineStatus } from './offline-status';
import { SerialConsole } from './serial-console';
import { ShareButton } from './share-button';
import { StatsPanel } from './stats-panel';
import { StatusBar } from './status-bar';
import { StoragePanel } from './storage-panel';
import { useWorkspaces } from './use-workspaces';
import { VgaScreen } from './vga-screen';
import { LabsOnImage, type LabLink } from './labs-on-image';
import { LessonAside, type LessonSetup } from '@/app/labs/[labId]/lesson-aside';
import type { LayerRef } from '@/lib/workspaces/checkpoint-record';
import { WorkspacePanel } from './workspace-panel';

interface LabViewProps {
  image: PublishedImage;
  assets: LabAssets;
  diskMode: DiskMode;
  /** The workspace the URL names (`?ws=`). */
  workspaceName: string;
  /** Set when the page was opened from a share link: boot these in a fresh workspace. */
  sharedSettings: BootSettings | undefined;
  /** The published layers (bottom to top) a share link's fresh workspace stacks. */
  sharedLayerIds: string[] | undefined;
  /**
   * A lesson page (/labs/<id>): the lab runs beside the machine, in the lab's own workspace
   * (`workspaceName`), made on `lessonDisk`'s settings and published layers the first time.
   */
  lesson?: LessonSetup & { disk: { settings: BootSettings; layerIds: string[] } };
  /** Outside a lesson: the labs that run on this image, offered beside the machine. */
  labsOnImage?: readonly LabLink[];
}

/** What a machine boots from: changes to any of these start a new session. */
interface BootTarget {
  name: string;
  storageId: string;
  settings: BootSettings;
}

function sameBootTarget(a: BootTarget | undefined, b: BootTarget): boolean {
  return a !== undefined && a.storageId === b.storageId && JSON.stringify(a.settings) === JSON.stringify(b.settings);
}

/**
 * The lab: the workspace the URL names, one v86 machine booted from it, and the panels around
 * it. Workspace bookkeeping lives in lib/workspaces, the machine in LabSession; this component
 * wires them to the page.
 */
export function LabView({ image: imageProp, assets: assetsProp, diskMode, workspaceName, sharedSettings, sharedLayerIds, lesson, labsOnImage = [] }: LabViewProps) {
  const router = useRouter();
  // Every server render (a rename or switch changes the URL) hands over new but equal objects;
  // the machine must only restart when the image or assets really change.
  const imageKey = `${imageProp.id}:${imageProp.sha256}:${imageProp.url}`;
  const assetsKey = JSON.stringify(assetsProp);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const image = useMemo(() => imageProp, [imageKey]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const assets = useMemo(() => assetsProp, [assetsKey]);
  const screenRef = useRef<HTMLDivElement>(null);
  const [workspace, setWorkspace] = useState<WorkspaceRecord>();
  const [bootTarget, setBootTarget] = useState<BootTarget>();
  const [createdNow, setCreatedNow] = useState(false);
  const [workspaceError, setWorkspaceError] = useState<string>();
  const [session, setSession] = useState<LabSession>();
  // Bumped by "Reset disk": a new session boots on the pristine root.
  const [generation, setGeneration] = useState(0);
  const [resetting, setResetting] = useState(false);
  const resetStatus = useDeletionStatus();
  const listing = useWorkspaces(image.id);
  // A share link creates its workspace once, even if React runs the effect twice.
  const shareHandled = useRef(false);
  // The lesson's part of window.leaflab, kept across machine restarts (see use-lesson-runner.ts).
  const lessonAutomation = useRef<LessonAutomation | undefined>(undefined);
  // Equal on every server render, but a new object: only a real change may reopen the workspace.
  const lessonDiskKey = JSON.stringify(lesson?.disk ?? null);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const lessonDisk = useMemo(() => lesson?.disk, [lessonDiskKey]);

  const diskQuery = diskMode === 'union' ? '' : `&disk=${diskMode}`;
  const hrefOf = (name: string) => `/lab/${encodeURIComponent(image.id)}?ws=${encodeURIComponent(name)}${diskQuery}`;

  // Resolve the workspace the URL names (creating it on first use), or make the fresh one a
  // share link asks for and move the URL to it, so a reload reopens it instead of making another.
  useEffect(() => {
    let cancelled = false;
    const resolve = async () => {
      if (sharedSettings) {
        if (shareHandled.current) return;
        shareHandled.current = true;
        const record = await withWorkspaceRegistry(async (registry) => {
          const taken = new Set((await registry.list(image.id)).map((r) => r.name));
          for (;;) {
            try {
              const layers = (sharedLayerIds ?? []).map((id) => ({ kind: 'published' as const, id }));
              return await registry.create(image.id, firstFreeWorkspaceName('shared', taken), sharedSettings, Date.now(), layers);
            } catch (error) {
              if (!(error instanceof WorkspaceRegistryError && error.kind === 'exists')) throw error;
              taken.add(firstFreeWorkspaceName('shared', taken)); // another tab took it meanwhile
            }
          }
        });
        router.replace(hrefOf(record.name));
        return;
      }
      const layers: LayerRef[] = (lessonDisk?.layerIds ?? []).map((id) => ({ kind: 'published' as const, id }));
      const { record, created } = await withWorkspaceRegistry((registry) =>
        registry.openOrCreate(image.id, workspaceName, lessonDisk?.settings ?? image.boot, Date.now(), layers),
      );
      if (cancelled) return;
      setWorkspace(record);
      setCreatedNow(created);
      setWorkspaceError(undefined);
      const target = { name: record.name, storageId: record.storageId, settings: record.settings };
      setBootTarget((previous) => (sameBootTarget(previous, target) ? previous : target));
    };
    resolve().catch((error: unknown) => !cancelled && setWorkspaceError((error as Error).message));
    return () => {
      cancelled = true;
    };
    // hrefOf and router are stable for a given image and disk mode.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [image, workspaceName, sharedSettings, sharedLayerIds, lessonDisk]);

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen || !bootTarget) return;
    const created = new LabSession(image, assets, screen, {
      diskMode,
      workspace: { name: bootTarget.name, storageId: bootTarget.storageId },
      boot: bootTarget.settings,
      openPublished: openPublishedLayerFromServer,
    });
    // Replaced below; a restore removes the hook first, so no script sees the old machine as running.
    let removeHook = () => {};
    const actions: LabActions = {
      restore: async (id) => {
        removeHook();
        await created.destroy();
        await restoreCheckpoint({ imageId: image.id, storageId: bootTarget.storageId, name: bootTarget.name }, id);
        setGeneration((n) => n + 1);
      },
      fork: async (id, name) => {
        await forkCheckpoint(image.id, id, name, bootTarget.settings);
      },
      publish: (id) => publishCheckpointChain(image, id, bootTarget.settings),
      exportDisk: (format) => created.exportDisk(() => undefined, format),
    };
    removeHook = installAutomationHook(created, actions, lesson ? lessonAutomation : undefined);
    // Leaving while writes are still on their way to IndexedDB would lose them: ask first.
    const warnOnUnload = (event: BeforeUnloadEvent) => {
      if (!created.hasUnsavedWrites()) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', warnOnUnload);
    setSession(created);
    void created.boot();
    return () => {
      window.removeEventListener('beforeunload', warnOnUnload);
      removeHook();
      void created.destroy();
    };
    // `lesson` only adds to the hook through a ref that outlives sessions.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [image, assets, diskMode, bootTarget, generation]);

  const snapshot = useSyncExternalStore(
    (listener) => session?.subscribe(listener) ?? (() => {}),
    () => session?.snapshot() ?? INITIAL_SNAPSHOT,
    () => INITIAL_SNAPSHOT,
  );

  // The block map names checkpoints (and the layers published from them) as the list does.
  const checkpointList = listing.checkpoints;
  useEffect(() => {
    const names = new Map<string, string>();
    for (const checkpoint of checkpointList) {
      names.set(checkpoint.id, `checkpoint “${checkpoint.name}”`);
      if (checkpoint.publishedId) names.set(checkpoint.publishedId, `published “${checkpoint.name}”`);
    }
    session?.blockMap?.setLayerLabels((id) => names.get(id));
  }, [session, checkpointList, snapshot.diskReady]);

  async function resetDisk() {
    const confirmed = window.confirm(
      'Reset the disk? The machine reboots on the disk this workspace was made from (the original image, or the shared environment or checkpoint it came from); every change since is discarded. Saved checkpoints stay and can still be restored.',
    );
    if (!confirmed || !session || !workspace) return;
    setResetting(true);
    try {
      await session.destroy();
      await resetStatus.track(
        (options) => discardWorkspaceChanges(workspace, options),
        'Reset done: the other tab let go, and the machine boots on the original image.',
      );
      setGeneration((n) => n + 1);
      listing.refresh();
    } catch (error) {
      window.alert(`The disk could not be reset: ${(error as Error).message}`);
    } finally {
      setResetting(false);
    }
  }

  async function restoreTo(id: string, name: string) {
    const confirmed = window.confirm(
      `Restore checkpoint "${name}"? The changes made since it (not saved in a later checkpoint) are discarded and the machine restarts.`,
    );
    if (!confirmed || !session || !workspace) return;
    await session.destroy();
    await restoreCheckpoint(workspace, id);
    setGeneration((n) => n + 1);
    listing.refresh();
  }

  /** A lesson's "Restart this step": back to the step's checkpoint, without asking again. */
  async function restoreForLesson(id: string) {
    if (!session || !workspace) throw new Error('The machine is not running.');
    await session.destroy();
    await restoreCheckpoint(workspace, id);
    setGeneration((n) => n + 1);
    listing.refresh();
  }

  async function createWorkspace(name: string) {
    await withWorkspaceRegistry((registry) => registry.create(image.id, name, workspace?.settings ?? image.boot));
    router.push(hrefOf(name));
  }

  async function renameWorkspace(record: WorkspaceRecord, newName: string) {
    const renamed = await withWorkspaceRegistry((registry) => registry.rename(image.id, record.name, newName));
    if (record.storageId === workspace?.storageId) {
      setWorkspace(renamed);
      router.replace(hrefOf(renamed.name));
    }
  }

  async function removeWorkspace(record: WorkspaceRecord, options: LeafDeletionOptions) {
    const isCurrent = record.storageId === workspace?.storageId;
    if (isCurrent) await session?.destroy();
    await withWorkspaceRegistry((registry) => deleteWorkspace(registry, record, options));
    if (isCurrent) {
      const next = listing.workspaces.find((w) => w.record.storageId !== record.storageId)?.record.name ?? DEFAULT_WORKSPACE_NAME;
      router.push(hrefOf(next));
    }
  }

  async function applySettings(settings: BootSettings) {
    if (!workspace) return;
    const updated = await withWorkspaceRegistry((registry) => registry.updateSettings(image.id, workspace.name, settings));
    setWorkspace(updated);
    setBootTarget({ name: updated.name, storageId: updated.storageId, settings: updated.settings });
  }

  if (workspaceError) {
    return (
      <div className="lab">
        <h1>{image.title}</h1>
        <ErrorMessage message={workspaceError} />
      </div>
    );
  }

  const ready = snapshot.status === 'running';
  return (
    <div className="lab">
      <div className="lab-header">
        <div>
          <h1>{image.title}</h1>
          <p className="meta">
            Workspace <strong data-testid="workspace-name">{workspace?.name ?? workspaceName}</strong>
            {createdNow && ' · new: it starts from the original image'}
          </p>
        </div>
        <div className="controls" role="group" aria-label="Machine controls">
          <button type="button" onClick={() => void session?.start()} disabled={snapshot.status !== 'stopped'}>
            Start
          </button>
          <button type="button" onClick={() => void session?.stop()} disabled={snapshot.status !== 'booting' && snapshot.status !== 'running'}>
            Stop
          </button>
          <button
            type="button"
            onClick={() => void session?.restart()}
            disabled={snapshot.status === 'loading' || snapshot.status === 'error'}
          >
            Restart
          </button>
          {diskMode === 'union' && (
            <button type="button" className="danger" onClick={() => void resetDisk()} disabled={resetting || !workspace}>
              Reset disk
            </button>
          )}
          {diskMode === 'union' &&
            (['raw', 'qcow2'] as const).map((format) => (
              <DownloadDiskButton
                key={format}
                session={session}
                format={format}
                fileName={`${image.id}-${workspace?.name ?? workspaceName}.${format === 'raw' ? 'img' : 'qcow2'}`}
                disabled={!snapshot.diskReady || snapshot.status === 'loading'}
              />
            ))}
          {workspace && <ShareButton image={image} settings={workspace.settings} />}
        </div>
      </div>
      <StatusBar snapshot={snapshot} />
      <OfflineStatus image={image} assets={assets} machineRunning={ready} />
      <DeletionStatusLine status={resetStatus.status} />
      <div className="lab-body">
        <div className="lab-main">
          <div className="lab-panes">
            <VgaScreen screenRef={screenRef} session={session} generation={generation} />
            <section className="pane" aria-label="Serial console pane">
              <h2>Serial console</h2>
              {session && <SerialConsole key={generation} session={session} />}
            </section>
          </div>
          {session?.blockMap && snapshot.diskReady ? (
            <BlockMap key={generation} model={session.blockMap} />
          ) : (
            diskMode !== 'union' && (
              <p className="meta">The block map shows the union disk; this lab runs the {diskMode} disk for comparison.</p>
            )
          )}
        </div>
        <aside className="lab-aside" aria-label="Lab panels">
          {lesson ? (
            <LessonAside
              lab={lesson.lab}
              nextLab={lesson.nextLab}
              workspace={workspace}
              session={session}
              status={snapshot.status}
              restoreCheckpoint={restoreForLesson}
              automationRef={lessonAutomation}
            />
          ) : (
            diskMode === 'union' && <LabsOnImage labs={labsOnImage} />
          )}
        </aside>
      </div>
      <div className="lab-panels">
        {diskMode === 'union' && !lesson && (
          <WorkspacePanel
            current={workspace}
            listing={listing}
            hrefOf={hrefOf}
            onCreate={createWorkspace}
            onRename={renameWorkspace}
            onDelete={removeWorkspace}
          />
        )}
        {diskMode === 'union' && workspace && session && (
          <CheckpointsPanel
            key={generation}
            image={image}
            workspace={workspace}
            session={session}
            listing={listing}
            onRestore={restoreTo}
            onFork={async (id, name) => {
              await forkCheckpoint(image.id, id, name, workspace.settings);
              router.push(hrefOf(name));
            }}
          />
        )}
        {diskMode === 'union' && !lesson && (
          <section className="panel" aria-labelledby="import-heading">
            <h2 id="import-heading">Import a disk</h2>
            <ImportDiskForm
              image={image}
              settings={workspace?.settings ?? image.boot}
              onImported={(name) => {
                listing.refresh();
                router.push(hrefOf(name));
              }}
            />
          </section>
        )}
        {diskMode === 'union' && <StoragePanel listing={listing} imageDefaults={image.boot} />}
        {workspace && (
          <MachinePanel key={JSON.stringify(workspace.settings)} settings={workspace.settings} imageDefaults={image.boot} onApply={applySettings} />
        )}
        {session && <StatsPanel session={session} />}
      </div>
    </div>
  );
}
