import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromWallClock, isTimeZone, nextRun, parseCron, wallClock, type CronSchedule } from './cron.js';

const schedule = (expression: string): CronSchedule => {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.schedule;
};
const next = (expression: string, after: string, zone = 'UTC') => {
  const at = nextRun(schedule(expression), Date.parse(after), zone);
  return at === undefined ? undefined : new Date(at).toISOString();
};

test('parseCron refuses what cron does not mean, saying which field and why', () => {
  const cases: [string, string][] = [
    ['* * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['* * * * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6'],
    ['60 * * * *', 'minute: 60 is outside 0-59'],
    ['* 24 * * *', 'hour: 24 is outside 0-23'],
    ['* * 0 * *', 'day of month: 0 is outside 1-31'],
    ['* * * 13 *', 'month: 13 is outside 1-12'],
    ['* * * * 8', 'day of week: 8 is outside 0-7'],
    ['*/0 * * * *', 'minute: step "0" is not a positive number'],
    ['5-1 * * * *', 'minute: range 5-1 goes backwards'],
    ['x * * * *', 'minute: "x" is not a number'],
    ['* * * FOO *', 'month: "FOO" is not a number or a name'],
    ['1,,2 * * * *', 'minute: "" is not a value, range or step'],
    ['@every', 'unknown macro "@every" (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)'],
  ];
  for (const [expression, error] of cases) assert.deepEqual(parseCron(expression), { ok: false, error }, expression);
});

test('parseCron: lists, ranges, steps, names, 7 as Sunday, macros', () => {
  const s = schedule('0,30 9-17/4 */10 jan,JUL-Aug 5-7');
  assert.deepEqual([...s.minutes], [0, 30]);
  assert.deepEqual([...s.hours], [9, 13, 17]);
  assert.deepEqual([...s.days], [1, 11, 21, 31]);
  assert.deepEqual([...s.months], [1, 7, 8]);
  assert.deepEqual([...s.weekdays].sort(), [0, 5, 6]);
  assert.equal(s.eitherDay, false, 'a day-of-month starting with * does not restrict');
  assert.deepEqual([...schedule('5/20 * * * *').minutes], [5, 25, 45]);
  assert.deepEqual(schedule('@daily'), schedule('0 0 * * *'));
  assert.equal(schedule('0 0 13 * FRI').eitherDay, true);
});

test('nextRun in UTC: strictly after, across hours, days, months and years', () => {
  const cases: [string, string, string | undefined][] = [
    ['*/5 * * * *', '2026-12-03T10:02:30Z', '2026-12-03T10:05:00.000Z'],
    ['*/5 * * * *', '2026-12-03T10:05:00Z', '2026-12-03T10:10:00.000Z'],
    ['* * * * *', '2026-12-03T23:59:59.999Z', '2026-12-04T00:00:00.000Z'],
    ['0 9 * * MON-FRI', '2026-12-04T10:00:00Z', '2026-12-07T09:00:00.000Z'],
    ['@yearly', '2026-12-03T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['@hourly', '2026-12-31T23:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    // Both day fields restricted: the 13th or a Friday, whichever comes first.
    ['0 0 13 * FRI', '2026-12-05T00:00:00Z', '2026-12-11T00:00:00.000Z'],
    ['0 0 13 * FRI', '2026-12-11T00:00:00Z', '2026-12-13T00:00:00.000Z'],
    ['0 0 30 2 *', '2026-01-01T00:00:00Z', undefined],
  ];
  for (const [expression, after, expected] of cases) assert.equal(next(expression, after), expected, `${expression} after ${after}`);
});

test("nextRun in a time zone: the zone's wall clock, summer and winter time, and both DST changes", () => {
  const cases: [string, string, string | undefined][] = [
    ['0 9 * * *', '2026-07-01T00:00:00Z', '2026-07-01T07:00:00.000Z'],
    ['0 9 * * *', '2026-12-01T00:00:00Z', '2026-12-01T08:00:00.000Z'],
    // 29 March 2026, 02:00 → 03:00: 02:30 does not exist that day.
    ['30 2 * * *', '2026-03-28T12:00:00Z', '2026-03-30T00:30:00.000Z'],
    // 25 October 2026, 03:00 → 02:00: 02:30 occurs twice and runs at the first.
    ['30 2 * * *', '2026-10-24T12:00:00Z', '2026-10-25T00:30:00.000Z'],
    ['30 2 * * *', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00.000Z'],
    // Each wall time runs once: after 02:45 CEST the repeated 02:00-02:59 (now CET) is skipped.
    ['*/30 * * * *', '2026-10-25T00:45:00Z', '2026-10-25T02:00:00.000Z'],
  ];
  for (const [expression, after, expected] of cases) assert.equal(next(expression, after, 'Europe/Paris'), expected, `${expression} after ${after}`);
  assert.equal(next('0 0 * * *', '2026-12-03T00:00:00Z', 'Asia/Kolkata'), '2026-12-03T18:30:00.000Z');
});

test('wallClock and fromWallClock: round trip, a gap, an overlap', () => {
  const paris = 'Europe/Paris';
  const instant = Date.parse('2026-07-14T10:15:00Z');
  assert.equal(new Date(wallClock(instant, paris)).toISOString(), '2026-07-14T12:15:00.000Z');
  assert.equal(fromWallClock(wallClock(instant, paris), paris), instant);
  assert.equal(fromWallClock(Date.UTC(2026, 2, 29, 2, 30), paris), undefined);
  assert.equal(new Date(fromWallClock(Date.UTC(2026, 9, 25, 2, 30), paris)!).toISOString(), '2026-10-25T00:30:00.000Z');
});

test('isTimeZone', () => {
  assert.equal(isTimeZone('Europe/Paris'), true);
  assert.equal(isTimeZone('UTC'), true);
  assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
  assert.equal(isTimeZone(''), false);
});
