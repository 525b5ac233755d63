/**
 * The core's time-zone offsets, answered from the runtime's own IANA data (`Intl`), so the wasm
 * carries no time-zone database. The core asks one pure question: the UTC offset of a zone at an
 * instant; it derives gaps and overlaps itself (`src/scheduler/zone.rs`).
 */

/** Formatters are costly to build and a program uses few zones: one per zone, up to this many. */
const MAX_FORMATTERS = 64;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat | null {
  let format = formatters.get(zone);
  if (format !== undefined) return format;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    return null;
  }
  if (formatters.size >= MAX_FORMATTERS) formatters.clear();
  formatters.set(zone, format);
  return format;
}

/**
 * Seconds east of UTC of `zone` at `utcSeconds` (whole seconds since the epoch); `NaN` when
 * `zone` is not a time zone the runtime knows.
 */
export function zoneOffsetSeconds(zone: string, utcSeconds: number): number {
  const format = formatter(zone);
  if (format === null || !Number.isFinite(utcSeconds)) return Number.NaN;
  const fields: Record<string, string> = {};
  for (const part of format.formatToParts(utcSeconds * 1000)) fields[part.type] = part.value;
  let year = Number(fields.year);
  if (fields.era === "BC" || fields.era === "B") year = 1 - year;
  const local = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  local.setUTCFullYear(year, Number(fields.month) - 1, Number(fields.day));
  // Some engines print midnight as 24 even with h23.
  local.setUTCHours(Number(fields.hour) % 24, Number(fields.minute), Number(fields.second), 0);
  return local.getTime() / 1000 - utcSeconds;
}
