'use client';

import type { LabSession } from '@/lib/lab/lab-session';
import { BLOCK_MAP_ELEMENT_ID } from './block-map';

interface Step {
  title: string;
  /** Typed into the serial console by the step's button; undefined for the reset step. */
  command?: string;
  explanation: string;
}

/** The guided demo, on the real disk. Commands use only what every catalog image has (BusyBox and Debian alike) and $HOME (not ~, which BusyBox's shell does not expand after of=), so they work for root and for a student. */
const STEPS: Step[] = [
  {
    title: '1. The disk and its layers',
    command: 'cat /proc/partitions',
    explanation:
      'The guest sees one hard disk, /dev/sda, split into 512-byte sectors. On the block map, most cells are “Root, not fetched yet”: those sectors belong to the shared root image on the server and have not been needed, so they were never downloaded. “All-zero” cells are chunks the image lists as zeros: they are never fetched at all. “Root, fetched” cells are what booting read. The coloured outlines on the map are the partitions, read from the disk’s first sector (the MBR); the list beside the map names them.',
  },
  {
    title: '2. Write a file',
    command: 'dd if=/dev/urandom of=$HOME/random.bin bs=64k count=64 && sync && ls -l $HOME/random.bin',
    explanation:
      'The guest writes 4 MiB. Watch cells in the root partition flash and turn to “Leaf, fully written”. Every sector the guest writes goes to the leaf, your private layer in this browser’s storage, and a mapping “sector X → leaf” is saved with it in the same transaction. From now on, every read of those sectors comes from the leaf, also after a reload.',
  },
  {
    title: '3. Change a few bytes',
    command: 'echo "hello from $(hostname)" >> $HOME/hello.txt && sync && cat $HOME/hello.txt',
    explanation:
      'A tiny change writes only a few sectors (a 4 KiB filesystem block is 8 sectors). The leaf stores blocks of 64 sectors but remembers which of their sectors are valid, so a cell can be “Leaf, partly written”: the rest of it still comes from the root, and nothing had to be copied from the root first.',
  },
  {
    title: '4. Read a big file',
    command: 'wc -l /usr/share/leaflab/sample.txt',
    explanation:
      'Reading a 10 MiB file that nothing read before: watch cells flash and turn from “Root, not fetched yet” to “Root, fetched”. Only the chunks the guest touches cross the network, with HTTP Range requests; a sequential read fetches bigger runs at a time. Fetched chunks stay in memory, so reading the file again costs no network.',
  },
  {
    title: '5. Reset and watch the root come back',
    explanation:
      'Reset throws the leaf away and reboots. The leaf cells disappear and the root image shows through again: your file is gone, because the shared image never changed. That is copy-on-write: the root is read-only and shared, every change lives in one small layer per workspace.',
  },
];

interface WalkthroughProps {
  session: LabSession | undefined;
  /** The guest is at its shell prompt and can take a command. */
  ready: boolean;
  onReset(): void;
}

/**
 * Scrolls the block map just enough to be on screen (nothing moves when it already is): each
 * step asks the student to watch it, and on a laptop it may be above or below the panel.
 */
function bringBlockMapIntoView(): void {
  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  document.getElementById(BLOCK_MAP_ELEMENT_ID)?.scrollIntoView({ block: 'nearest', behavior: reduceMotion ? 'auto' : 'smooth' });
}

/** A side panel that walks a student through copy-on-write on the running machine. */
export function Walkthrough({ session, ready, onReset }: WalkthroughProps) {
  return (
    <section className="panel walkthrough" aria-labelledby="walkthrough-heading" data-testid="walkthrough">
      <h2 id="walkthrough-heading">Walk-through: copy-on-write</h2>
      <p className="meta">Each button types a command into the serial console; the block map shows what the disk does.</p>
      <ol>
        {STEPS.map((step) => (
          <li key={step.title}>
            <h3>{step.title}</h3>
            <p>{step.explanation}</p>
            {step.command ? (
              <>
                <code className="command">{step.command}</code>
                <button
                  type="button"
                  disabled={!ready}
                  onClick={() => {
                    session?.sendSerial(`${step.command}\n`);
                    bringBlockMapIntoView();
                  }}
                >
                  Run in the machine
                </button>
              </>
            ) : (
              <button type="button" className="danger" onClick={onReset}>
                Reset disk
              </button>
            )}
          </li>
        ))}
      </ol>
      {!ready && <p className="meta">The buttons work once the machine shows its shell prompt.</p>}
    </section>
  );
}
