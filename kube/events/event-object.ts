// The events.k8s.io/v1 Event object, as both the operator and the sidecar-init write it. Pure.
import { microTime, type KubeObject } from '../kube-api.js';

/** The apiserver refuses an Event whose note is longer than this many bytes. */
export const MAX_NOTE_BYTES = 1024;
const MAX_INSTANCE = 128;
const MAX_NAME = 253;
const ELLIPSIS = '...';

export type EventType = 'Normal' | 'Warning';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** What to say: `key` groups repeats into one series (it must cover everything the note says). */
export interface EventIntent {
  key: string;
  type: EventType;
  reason: string;
  action: string;
  note: string;
  /** The object it is about; absent, the recorder's default (resolved when the Event is created). */
  regarding?: ObjectRef;
  /** The program it is about (absent for the container as a whole). */
  program?: string;
}

export interface Series {
  count: number;
  /** ms since the epoch */
  lastObservedTime: number;
}

export interface Reporter {
  reportingController: string;
  reportingInstance: string;
}

/** The note cut to at most MAX_NOTE_BYTES of UTF-8, on a character boundary, marked with "...". */
export function truncateNote(note: string): string {
  const bytes = Buffer.from(note, 'utf8');
  if (bytes.length <= MAX_NOTE_BYTES) return note;
  let end = MAX_NOTE_BYTES - ELLIPSIS.length;
  // Back up to the first byte of a character: continuation bytes are 0b10xxxxxx.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}${ELLIPSIS}`;
}

/** A reportingInstance within the apiserver's 128 characters: the unique tail of a pod or host name. */
export function reportingInstanceOf(name: string): string {
  return name.length <= MAX_INSTANCE ? name : name.slice(-MAX_INSTANCE);
}

/** An Event name within 253 characters: the regarding object's name and a unique suffix. */
export function eventName(regardingName: string, suffix: string): string {
  return `${regardingName.slice(0, MAX_NAME - suffix.length - 1)}.${suffix}`;
}

export interface EventObjectInput {
  intent: EventIntent;
  regarding: ObjectRef;
  related?: ObjectRef;
  reporter: Reporter;
  name: string;
  eventTime: number;
  series?: Series;
}

export function eventObject(input: EventObjectInput): KubeObject & Record<string, unknown> {
  const { intent, regarding, related, reporter, name, eventTime, series } = input;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: regarding.namespace },
    eventTime: microTime(eventTime),
    ...(series ? { series: { count: series.count, lastObservedTime: microTime(series.lastObservedTime) } } : {}),
    reportingController: reporter.reportingController,
    reportingInstance: reportingInstanceOf(reporter.reportingInstance),
    action: intent.action,
    reason: intent.reason,
    type: intent.type,
    note: truncateNote(intent.note),
    regarding,
    ...(related ? { related } : {}),
  };
}
