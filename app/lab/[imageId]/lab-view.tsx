'use client';

import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { PublishedImage } from '@/lib/images/manifest';
import { installAutomationHook } from '@/lib/lab/automation-hook';
import { LabSession, type LabAssets, type LabSnapshot } from '@/lib/lab/lab-session';
import { SerialConsole } from './serial-console';
import { StatsPanel } from './stats-panel';
import { StatusBar } from './status-bar';

const NO_SNAPSHOT: LabSnapshot = { status: 'loading', phase: 'Starting', progress: undefined, error: undefined, bootToPromptMs: undefined };

/** The lab: one v86 machine booted from `image`, with its VGA screen, serial console and controls. */
export function LabView({ image, assets }: { image: PublishedImage; assets: LabAssets }) {
  const screenRef = useRef<HTMLDivElement>(null);
  const [session, setSession] = useState<LabSession>();

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    const created = new LabSession(image, assets, screen);
    const removeHook = installAutomationHook(created);
    setSession(created);
    void created.boot();
    return () => {
      removeHook();
      void created.destroy();
    };
  }, [image, assets]);

  const snapshot = useSyncExternalStore(
    (listener) => session?.subscribe(listener) ?? (() => {}),
    () => session?.snapshot() ?? NO_SNAPSHOT,
    () => NO_SNAPSHOT,
  );

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
        </div>
      </div>
      <StatusBar snapshot={snapshot} />
      <div className="lab-panes">
        <section className="pane" aria-label="VGA screen">
          <h2>Screen</h2>
          {/* v86 expects this structure: a text-mode layer and a graphics canvas. */}
          <div ref={screenRef} className="vga-screen" data-testid="vga-screen">
            <div className="vga-text" />
            <canvas className="vga-canvas" />
          </div>
        </section>
        <section className="pane" aria-label="Serial console pane">
          <h2>Serial console</h2>
          {session && <SerialConsole session={session} />}
        </section>
      </div>
      {session && <StatsPanel session={session} />}
    </div>
  );
}
