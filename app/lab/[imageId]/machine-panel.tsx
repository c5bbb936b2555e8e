'use client';

import { ErrorMessage } from '@/app/components/error-message';
import { Fragment, useState, type FormEvent } from 'react';
import { BOOT_LIMITS, type BootSettings } from '@/lib/images/manifest';

const MEMORY_CHOICES_MIB = [32, 64, 128, 256, 512, 1024, 2048].filter((mib) => mib >= BOOT_LIMITS.memoryMiB.min && mib <= BOOT_LIMITS.memoryMiB.max);
const VGA_MEMORY_CHOICES_MIB = [2, 4, 8, 16, 32];

/** The settings measured in MiB, each a select of common sizes (plus the current value). */
const MIB_SETTINGS = [
  { key: 'memoryMiB', id: 'memory-mib', label: 'Memory', choices: MEMORY_CHOICES_MIB },
  { key: 'vgaMemoryMiB', id: 'vga-memory-mib', label: 'VGA memory', choices: VGA_MEMORY_CHOICES_MIB },
] as const satisfies ReadonlyArray<{ key: keyof BootSettings; id: string; label: string; choices: number[] }>;

interface MachinePanelProps {
  settings: BootSettings;
  imageDefaults: BootSettings;
  /** Saves the settings into the workspace and reboots the machine with them. */
  onApply(settings: BootSettings): Promise<void>;
}

function withChoice(choices: number[], value: number): number[] {
  return choices.includes(value) ? choices : [...choices, value].sort((a, b) => a - b);
}

/** The workspace's machine: memory, VGA memory and ACPI. Share links carry these settings. */
export function MachinePanel({ settings, imageDefaults, onApply }: MachinePanelProps) {
  const [draft, setDraft] = useState(settings);
  const [message, setMessage] = useState<string>();
  const changed = draft.memoryMiB !== settings.memoryMiB || draft.vgaMemoryMiB !== settings.vgaMemoryMiB || draft.acpi !== settings.acpi;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const confirmed = window.confirm('Apply these settings? The machine restarts (your disk is kept).');
    if (!confirmed) return;
    try {
      await onApply(draft);
      setMessage(undefined);
    } catch (error) {
      setMessage((error as Error).message);
    }
  }

  return (
    <section className="panel machine" aria-labelledby="machine-heading" data-testid="machine-panel">
      <h2 id="machine-heading">Machine</h2>
      <form onSubmit={(event) => void submit(event)} className="settings-form">
        {MIB_SETTINGS.map(({ key, id, label, choices }) => (
          <Fragment key={key}>
            <label htmlFor={id}>{label}</label>
            <select id={id} value={draft[key]} onChange={(event) => setDraft({ ...draft, [key]: Number(event.target.value) })}>
              {withChoice(choices, draft[key]).map((mib) => (
                <option key={mib} value={mib}>
                  {mib} MiB{mib === imageDefaults[key] ? ' (image default)' : ''}
                </option>
              ))}
            </select>
          </Fragment>
        ))}
        <label htmlFor="acpi">ACPI</label>
        <input id="acpi" type="checkbox" checked={draft.acpi} onChange={(event) => setDraft({ ...draft, acpi: event.target.checked })} />
        <button type="submit" disabled={!changed}>
          Apply and restart
        </button>
      </form>
      <ErrorMessage message={message} />
    </section>
  );
}
