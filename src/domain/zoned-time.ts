/**
 * Wall-clock arithmetic in an IANA time zone with the runtime's ICU data (Node ships full ICU), so a
 * weekly class keeps its local time across daylight-saving changes without a time-zone library.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the runtime knows the zone (Intl refuses an unknown one with a RangeError). */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds the zone's wall clock is ahead of UTC at the instant `utc`. */
function offsetAt(zone: string, utc: number): number {
  const whole = Math.floor(utc / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(whole)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const year = p.year!;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const wall = new Date(Date.UTC(2000, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!));
  wall.setUTCFullYear(year);
  return wall.getTime() - whole;
}

/** The wall-clock time at `utc` in the zone, as milliseconds on a clock that has no time changes. */
export function toWallClock(zone: string, utc: number): number {
  return utc + offsetAt(zone, utc);
}

/**
 * The instant the zone's wall clock shows `wall`. A time shown twice (the hour repeated when summer time
 * ends) is its first instant; a time never shown (the hour skipped when it starts) is read with the
 * offset from before the change, so it falls as much later (as Temporal's 'compatible' does).
 */
export function fromWallClock(zone: string, wall: number): number {
  // The instant is within UTC-12..UTC+14 of `wall`, and no zone changes its offset twice in two days:
  // the offsets a day before and after that span are the only candidates.
  const before = offsetAt(zone, wall - 26 * 3600_000);
  const after = offsetAt(zone, wall + 26 * 3600_000);
  const shown = [before, after].map((offset) => wall - offset).filter((utc) => toWallClock(zone, utc) === wall);
  return shown.length > 0 ? Math.min(...shown) : wall - before;
}
