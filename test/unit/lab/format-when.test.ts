import { describe, expect, it } from 'vitest';
import { formatWhenShort } from '@/lib/format';

describe('formatWhenShort', () => {
  // Local times, so the test means the same in any time zone.
  const now = new Date(2026, 10, 27, 15, 30).getTime();

  it('shows the time for today, the day for this year, the whole date before', () => {
    expect(formatWhenShort(new Date(2026, 10, 27, 9, 5).getTime(), now, 'en-US')).toBe('today 9:05 AM');
    expect(formatWhenShort(new Date(2026, 10, 26, 23, 59).getTime(), now, 'en-US')).toBe('Nov 26');
    expect(formatWhenShort(new Date(2025, 11, 31, 12, 0).getTime(), now, 'en-US')).toBe('Dec 31, 2025');
  });
});
