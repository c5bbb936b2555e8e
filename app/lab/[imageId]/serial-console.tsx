'use client';

import { useEffect, useRef } from 'react';
import '@xterm/xterm/css/xterm.css';
import type { LabSession } from '@/lib/lab/lab-session';

/** The guest's serial console (ttyS0) in xterm.js: what the guest prints, and keys typed here. */
export function SerialConsole({ session }: { session: LabSession }) {
  const containerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    let disposed = false;
    let cleanup = () => {};
    void import('@xterm/xterm').then(({ Terminal }) => {
      if (disposed) return;
      const terminal = new Terminal({ convertEol: true, rows: 25, cols: 80, fontSize: 13, scrollback: 5000, cursorBlink: true });
      terminal.open(container);
      // Replay what was printed before the terminal existed, then follow new output.
      terminal.write(session.serial.all());
      const stopFollowing = session.serial.onBytes((bytes) => terminal.write(bytes));
      const input = terminal.onData((data) => session.sendSerial(data));
      cleanup = () => {
        stopFollowing();
        input.dispose();
        terminal.dispose();
      };
    });
    return () => {
      disposed = true;
      cleanup();
    };
  }, [session]);

  return <div ref={containerRef} className="serial-console" aria-label="Serial console" data-testid="serial-console" />;
}
