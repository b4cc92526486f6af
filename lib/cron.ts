// Cron expressions as Kubernetes CronJobs take them (five fields: minute hour day-of-month month
// day-of-week, with *, lists, ranges, steps, JAN-DEC and SUN-SAT names, 7 for Sunday, and the
// @yearly/@monthly/@weekly/@daily/@hourly macros), and the next run time in an IANA time zone
// through Intl. As in Vixie cron, when both day fields are restricted a day matching either runs.
// Pure.

export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  /** Both day fields restricted: a day matching either one runs. */
  readonly eitherDay: boolean;
}

export type CronParse = { ok: true; schedule: CronSchedule } | { ok: false; error: string };

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's number. */
  namesFrom?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

function value(text: string, field: FieldSpec): number {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (field.namesFrom ?? 0);
  if (!/^[0-9]+$/.test(text)) throw new Error(`${field.name}: "${text}" is not a number${field.names ? ' or a name' : ''}`);
  const number = Number(text);
  if (number < field.min || number > field.max) throw new Error(`${field.name}: ${number} is outside ${field.min}-${field.max}`);
  return number;
}

function parseField(text: string, field: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw new Error(`${field.name}: "${part}" is not a value, range or step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) throw new Error(`${field.name}: step "${stepText}" is not a positive number`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = field.min;
      to = field.max === 7 ? 6 : field.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || !a || !b) throw new Error(`${field.name}: "${range}" is not a range`);
      from = value(a, field);
      to = value(b, field);
      if (from > to) throw new Error(`${field.name}: range ${range} goes backwards`);
    } else {
      from = value(range, field);
      to = stepText !== undefined ? (field.max === 7 ? 6 : field.max) : from;
    }
    for (let n = from; n <= to; n += step) out.add(field.max === 7 && n === 7 ? 0 : n);
  }
  return out;
}

export function parseCron(expression: string): CronParse {
  const text = expression.trim();
  const expanded = MACROS[text.toLowerCase()] ?? text;
  if (expanded.startsWith('@')) return { ok: false, error: `unknown macro "${text}" (known: ${Object.keys(MACROS).join(', ')})` };
  const parts = expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) return { ok: false, error: `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  try {
    const [minutes, hours, days, months, weekdays] = parts.map((part, i) => parseField(part, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
    const restricted = (part: string) => !part.startsWith('*') && !part.startsWith('?');
    return { ok: true, schedule: { minutes, hours, days, months, weekdays, eitherDay: restricted(parts[2]!) && restricted(parts[4]!) } };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Whether `timeZone` is an IANA zone this Node knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of `instant` in `timeZone`, as milliseconds of a UTC calendar (the fields are the zone's). */
export function wallClock(instant: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const f: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) if (part.type !== 'literal') f[part.type] = Number(part.value);
  return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) + (((instant % 1000) + 1000) % 1000);
}

/**
 * The instant at which the zone's clocks show `wall`: the earlier one when the time occurs twice
 * (clocks set back), undefined when it does not occur (clocks set forward over it).
 */
export function fromWallClock(wall: number, timeZone: string): number | undefined {
  const hour = 3_600_000;
  const candidates = [...new Set([wall - (wallClock(wall - 12 * hour, timeZone) - (wall - 12 * hour)), wall - (wallClock(wall + 12 * hour, timeZone) - (wall + 12 * hour))])].sort(
    (a, b) => a - b,
  );
  return candidates.find((instant) => wallClock(instant, timeZone) === wall);
}

const YEARS_AHEAD = 5;

/**
 * The first run time strictly after `after` (epoch ms), or undefined if the schedule never runs
 * within five years (e.g. 30 February). A wall time skipped by a DST change does not run that
 * day; one that occurs twice runs at its first occurrence.
 */
export function nextRun(schedule: CronSchedule, after: number, timeZone: string): number | undefined {
  let w = Math.floor(wallClock(after, timeZone) / 60_000) * 60_000 + 60_000;
  const lastYear = new Date(w).getUTCFullYear() + YEARS_AHEAD;
  for (;;) {
    const d = new Date(w);
    const year = d.getUTCFullYear();
    if (year > lastYear) return undefined;
    const month = d.getUTCMonth();
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    if (!schedule.months.has(month + 1)) {
      w = Date.UTC(year, month + 1, 1);
      continue;
    }
    const domMatch = schedule.days.has(day);
    const dowMatch = schedule.weekdays.has(d.getUTCDay());
    if (!(schedule.eitherDay ? domMatch || dowMatch : domMatch && dowMatch)) {
      w = Date.UTC(year, month, day + 1);
      continue;
    }
    if (!schedule.hours.has(hour)) {
      w = Date.UTC(year, month, day, hour + 1);
      continue;
    }
    if (!schedule.minutes.has(d.getUTCMinutes())) {
      w += 60_000;
      continue;
    }
    const instant = fromWallClock(w, timeZone);
    if (instant !== undefined && instant > after) return instant;
    w += 60_000;
  }
}
