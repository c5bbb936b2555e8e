'use client';

import { useEffect, useRef, useState, type RefObject } from 'react';
import type { LabSession } from '@/lib/lab/lab-session';

interface VgaScreenProps {
  /** The element v86 draws into (handed to the LabSession). */
  screenRef: RefObject<HTMLDivElement | null>;
  session: LabSession | undefined;
  /** Changes for every new session, so v86 gets a fresh screen element. */
  generation: number;
}

/** Releases the keyboard while the screen has it: the same chord as QEMU's. */
function isReleaseChord(event: KeyboardEvent): boolean {
  return event.ctrlKey && event.altKey && event.code === 'KeyG';
}

/**
 * The VGA screen with input capture: the guest gets the keyboard while the screen has focus
 * (click it, or Tab to it) and the mouse while the pointer is locked to it. Ctrl+Alt+G or
 * clicking elsewhere gives the keyboard back; Esc gives the mouse back (the browser's rule).
 */
export function VgaScreen({ screenRef, session, generation }: VgaScreenProps) {
  const paneRef = useRef<HTMLElement>(null);
  const [keyboardCaptured, setKeyboardCaptured] = useState(false);
  const [mouseCaptured, setMouseCaptured] = useState(false);
  const [fullscreen, setFullscreen] = useState(false);

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen || !session) return;
    const onFocus = () => {
      session.setInputCapture(true);
      setKeyboardCaptured(true);
    };
    const onBlur = () => {
      if (document.pointerLockElement === screen) return; // the mouse is still captured
      session.setInputCapture(false);
      setKeyboardCaptured(false);
    };
    // Capture phase on window: runs before v86's own key handler, which must not see the chord.
    const onKeyDown = (event: KeyboardEvent) => {
      if (document.activeElement !== screen || !isReleaseChord(event)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (document.pointerLockElement) document.exitPointerLock();
      screen.blur();
    };
    const onPointerLockChange = () => {
      const locked = document.pointerLockElement === screen;
      setMouseCaptured(locked);
      if (!locked && document.activeElement !== screen) {
        session.setInputCapture(false);
        setKeyboardCaptured(false);
      }
    };
    const onMouseDown = () => {
      // Refused without a user gesture or in some embeddings: the keyboard capture still works.
      if (document.pointerLockElement !== screen) Promise.resolve(screen.requestPointerLock()).catch(() => undefined);
    };
    screen.addEventListener('focus', onFocus);
    screen.addEventListener('blur', onBlur);
    screen.addEventListener('mousedown', onMouseDown);
    window.addEventListener('keydown', onKeyDown, true);
    document.addEventListener('pointerlockchange', onPointerLockChange);
    return () => {
      screen.removeEventListener('focus', onFocus);
      screen.removeEventListener('blur', onBlur);
      screen.removeEventListener('mousedown', onMouseDown);
      window.removeEventListener('keydown', onKeyDown, true);
      document.removeEventListener('pointerlockchange', onPointerLockChange);
    };
  }, [screenRef, session, generation]);

  // Fullscreen: the pane fills the display and v86 scales its output to fit.
  useEffect(() => {
    const onChange = () => {
      const pane = paneRef.current;
      const screen = screenRef.current;
      const active = document.fullscreenElement === pane && pane !== null;
      setFullscreen(active);
      if (!session || !screen) return;
      if (!active) return session.setScreenScale(1);
      const width = screen.scrollWidth || 720;
      const height = screen.scrollHeight || 400;
      session.setScreenScale(Math.max(1, Math.min(window.innerWidth / width, (window.innerHeight - 48) / height)));
    };
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, [screenRef, session]);

  function toggleFullscreen() {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void paneRef.current?.requestFullscreen().catch(() => undefined);
  }

  const hint = keyboardCaptured
    ? `The machine has the keyboard${mouseCaptured ? ' and mouse' : ''}. Ctrl+Alt+G releases the keyboard${mouseCaptured ? ', Esc the mouse' : ''}.`
    : 'Click the screen (or Tab to it) to type into the machine.';

  return (
    <section className="pane vga-pane" aria-label="VGA screen" ref={paneRef}>
      <div className="pane-header">
        <h2>Screen</h2>
        <button type="button" onClick={toggleFullscreen} aria-pressed={fullscreen}>
          {fullscreen ? 'Exit fullscreen' : 'Fullscreen'}
        </button>
      </div>
      <p className={`capture-hint${keyboardCaptured ? ' captured' : ''}`} data-testid="capture-hint" aria-live="polite">
        {hint}
      </p>
      {/* v86 expects this structure: a text-mode layer and a graphics canvas. */}
      <div
        key={generation}
        ref={screenRef}
        className="vga-screen"
        data-testid="vga-screen"
        tabIndex={0}
        role="application"
        aria-label="Virtual machine screen. Focus it to type into the machine; Ctrl+Alt+G releases the keyboard."
      >
        <div className="vga-text" />
        <canvas className="vga-canvas" />
      </div>
    </section>
  );
}
