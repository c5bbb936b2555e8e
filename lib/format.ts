/** Human-readable sizes for the UI: binary units, as disks are measured. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * When something happened, short enough for a table cell: the time for today, the day for
 * this year, the full date before that. The caller shows the full date and time on hover.
 */
export function formatWhenShort(epochMs: number, nowMs: number, locale?: string): string {
  const when = new Date(epochMs);
  const now = new Date(nowMs);
  if (when.toDateString() === now.toDateString()) return `today ${when.toLocaleTimeString(locale, { timeStyle: 'short' })}`;
  if (when.getFullYear() === now.getFullYear()) return when.toLocaleDateString(locale, { month: 'short', day: 'numeric' });
  return when.toLocaleDateString(locale, { dateStyle: 'medium' });
}
