'use client';

import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { PublishedImage } from '@/lib/images/manifest';
import { installAutomationHook } from '@/lib/lab/automation-hook';
import { discardWorkspace, type DiskMode } from '@/lib/lab/disk-backends';
import { INITIAL_SNAPSHOT, LabSession, type LabAssets } from '@/lib/lab/lab-session';
import { SerialConsole } from './serial-console';
import { StatsPanel } from './stats-panel';
import { StatusBar } from './status-bar';

interface LabViewProps {
  image: PublishedImage;
  assets: LabAssets;
  diskMode: DiskMode;
  workspace: string;
}

/** The lab: one v86 machine booted from `image`, with its VGA screen, serial console and controls. */
export function LabView({ image, assets, diskMode, workspace }: LabViewProps) {
  const screenRef = useRef<HTMLDivElement>(null);
  const [session, setSession] = useState<LabSession>();
  // Bumped by "Reset disk": a new session boots on the pristine root.
  const [generation, setGeneration] = useState(0);
  const [resetting, setResetting] = useState(false);

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    const created = new LabSession(image, assets, screen, { diskMode, workspace });
    const removeHook = installAutomationHook(created);
    setSession(created);
    void created.boot();
    return () => {
      removeHook();
      void created.destroy();
    };
  }, [image, assets, diskMode, workspace, generation]);

  const snapshot = useSyncExternalStore(
    (listener) => session?.subscribe(listener) ?? (() => {}),
    () => session?.snapshot() ?? INITIAL_SNAPSHOT,
    () => INITIAL_SNAPSHOT,
  );

  async function resetDisk() {
    const confirmed = window.confirm(
      'Reset the disk? Every change made in this workspace is discarded and the machine reboots on the original image.',
    );
    if (!confirmed || !session) return;
    setResetting(true);
    try {
      await session.destroy();
      await discardWorkspace(image.id, workspace);
      setGeneration((n) => n + 1);
    } catch (error) {
      window.alert(`The disk could not be reset: ${(error as Error).message}`);
    } finally {
      setResetting(false);
    }
  }

  return (
    <div className="lab">
      <div className="lab-header">
        <div>
          <h1>{image.title}</h1>
          <p className="meta">{image.description}</p>
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
            <button type="button" className="danger" onClick={() => void resetDisk()} disabled={resetting}>
              Reset disk
            </button>
          )}
        </div>
      </div>
      <StatusBar snapshot={snapshot} />
      <div className="lab-panes">
        <section className="pane" aria-label="VGA screen">
          <h2>Screen</h2>
          {/* v86 expects this structure: a text-mode layer and a graphics canvas. The key gives
              every session (e.g. after a reset) a fresh one. */}
          <div key={generation} ref={screenRef} className="vga-screen" data-testid="vga-screen">
            <div className="vga-text" />
            <canvas className="vga-canvas" />
          </div>
        </section>
        <section className="pane" aria-label="Serial console pane">
          <h2>Serial console</h2>
          {session && <SerialConsole key={generation} session={session} />}
        </section>
      </div>
      {session && <StatsPanel session={session} />}
    </div>
  );
}
