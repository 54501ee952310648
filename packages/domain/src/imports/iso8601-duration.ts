/**
 * ISO 8601 durations as the YouTube Data API writes them (`contentDetails.duration`): `PT1H2M3S`,
 * `PT15M`, `PT45S`, `P1DT2H` (a day counts 24 hours), `P1W`, fractional seconds (`PT1.5S`, rounded).
 * Years and months have no fixed length in seconds and are refused, as is anything malformed or
 * absurdly long (over ten years): the answer is then null and the import goes on without a
 * duration. `P0D` — what YouTube reports for live streams — is 0.
 */
const DURATION =
  /^P(?:(?<weeks>\d+(?:[.,]\d+)?)W)?(?:(?<days>\d+(?:[.,]\d+)?)D)?(?:T(?:(?<hours>\d+(?:[.,]\d+)?)H)?(?:(?<minutes>\d+(?:[.,]\d+)?)M)?(?:(?<seconds>\d+(?:[.,]\d+)?)S)?)?$/;

const SECONDS = { weeks: 604_800, days: 86_400, hours: 3_600, minutes: 60, seconds: 1 } as const;
const MAX_SECONDS = 10 * 365 * 86_400;

export function parseIso8601Duration(text: string): number | null {
  if (text.length > 64) return null;
  const match = DURATION.exec(text.trim().toUpperCase());
  const groups = match?.groups;
  if (!groups) return null;
  // "P" and "PT" alone say nothing; at least one component must be present.
  if (Object.values(groups).every((value) => value === undefined)) return null;
  if (text.toUpperCase().endsWith('T')) return null;
  let total = 0;
  for (const [unit, factor] of Object.entries(SECONDS)) {
    const value = groups[unit];
    if (value !== undefined) total += Number(value.replace(',', '.')) * factor;
  }
  if (!Number.isFinite(total) || total > MAX_SECONDS) return null;
  return Math.round(total);
}
