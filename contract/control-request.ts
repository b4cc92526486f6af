// Program control through the CorePod, as `kubectl rollout restart` writes its intent onto the
// object: `kubectl corepod restart|stop|start|signal` adds a request to the annotation
// corepod.dreamscape.io/requests; each targeted pod's sidecar-init acts on it once and lists its id
// with the outcome in its own entry of status.pods[].handledRequests. Both halves import this. Pure.

/** The annotation holding the pending requests: a JSON array of ControlRequest. */
export const REQUESTS_ANNOTATION = 'corepod.dreamscape.io/requests';
/** Where problems are reported, in the path style of the schema's errors. */
export const REQUESTS_PATH = `metadata.annotations['${REQUESTS_ANNOTATION}']`;

export const CONTROL_ACTIONS = ['start', 'stop', 'restart', 'signal'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ControlRequest {
  /** Unique among the requests of the object: lower-case letters, digits and dashes. */
  id: string;
  action: ControlAction;
  /** Program names, or ["all"]. */
  programs: string[];
  /** For action "signal": the signal's name without SIG (HUP, USR1, …). */
  signal?: string;
  /** The pods that are to act on it, named when the request was made (pods started later never do). */
  pods: string[];
  /** When it was made (RFC 3339), for pruning old requests. */
  createdAt: string;
}

/** What a pod did with a request (status.pods[].handledRequests[]). */
export interface HandledRequest {
  id: string;
  /** When the pod finished acting on it (RFC 3339). */
  completedAt: string;
  results: ProgramResult[];
}

/** One program's outcome, as the supervisor's command returns it. */
export interface ProgramResult {
  name: string;
  ok: boolean;
  state: string;
  /** Its process id once the action was done, while it runs. */
  pid?: number;
  error?: string;
  message?: string;
}

/** At most this many requests stay on the object, and each pod reports at most this many handled ones. */
export const MAX_REQUESTS = 16;
/** Requests older than this are dropped when a new one is added. */
export const REQUEST_MAX_AGE_MS = 15 * 60_000;

const ID = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SIGNAL = /^[A-Z][A-Z0-9]{0,15}$/;
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export class RequestProblem extends Error {}

/** Problems of one request at `path`, each naming the exact field; empty when valid. */
export function requestProblems(value: unknown, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object`];
  const r = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(r)) if (!['id', 'action', 'programs', 'signal', 'pods', 'createdAt'].includes(key)) problems.push(`${path}.${key}: unknown field`);
  if (typeof r.id !== 'string' || !ID.test(r.id)) problems.push(`${path}.id: expected lower-case letters, digits and dashes (at most 64)`);
  if (!CONTROL_ACTIONS.includes(r.action as ControlAction)) problems.push(`${path}.action: expected one of ${CONTROL_ACTIONS.join(', ')}`);
  if (!Array.isArray(r.programs) || r.programs.length === 0) problems.push(`${path}.programs: expected a non-empty list of program names or ["all"]`);
  else
    r.programs.forEach((p, i) => {
      if (typeof p !== 'string' || !DNS_LABEL.test(p)) problems.push(`${path}.programs[${i}]: expected a program name`);
    });
  if (Array.isArray(r.programs) && r.programs.includes('all') && r.programs.length > 1) problems.push(`${path}.programs: "all" stands alone`);
  if (r.action === 'signal') {
    if (typeof r.signal !== 'string' || !SIGNAL.test(r.signal)) problems.push(`${path}.signal: expected a signal name such as HUP`);
  } else if (r.signal !== undefined) problems.push(`${path}.signal: only for action signal`);
  if (!Array.isArray(r.pods) || r.pods.length === 0) problems.push(`${path}.pods: expected a non-empty list of pod names`);
  else
    r.pods.forEach((p, i) => {
      if (typeof p !== 'string' || !POD_NAME.test(p)) problems.push(`${path}.pods[${i}]: expected a pod name`);
    });
  if (typeof r.createdAt !== 'string' || Number.isNaN(Date.parse(r.createdAt))) problems.push(`${path}.createdAt: expected an RFC 3339 time`);
  return problems;
}

export interface ParsedRequests {
  /** The valid requests, in order. */
  requests: ControlRequest[];
  /** What was wrong with the others (or with the annotation as a whole). */
  problems: string[];
}

/** The requests in the annotation's value (absent: none); invalid entries are left out and named. */
export function parseRequests(text: string | undefined): ParsedRequests {
  if (text === undefined || text.trim() === '') return { requests: [], problems: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { requests: [], problems: [`${REQUESTS_PATH}: not JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(value)) return { requests: [], problems: [`${REQUESTS_PATH}: expected a JSON array`] };
  const requests: ControlRequest[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  value.forEach((entry, i) => {
    const path = `${REQUESTS_PATH}[${i}]`;
    const found = requestProblems(entry, path);
    const request = entry as ControlRequest;
    if (found.length === 0 && seen.has(request.id)) found.push(`${path}.id: "${request.id}" is used twice`);
    if (found.length > 0) problems.push(...found);
    else {
      seen.add(request.id);
      requests.push(normalize(request));
    }
  });
  return { requests, problems };
}

function normalize(r: ControlRequest): ControlRequest {
  return { id: r.id, action: r.action, programs: [...r.programs], ...(r.signal !== undefined ? { signal: r.signal } : {}), pods: [...r.pods], createdAt: r.createdAt };
}

/** The annotation's value. */
export function formatRequests(requests: readonly ControlRequest[]): string {
  return JSON.stringify(requests.map(normalize));
}

/**
 * The list with `request` added: requests older than REQUEST_MAX_AGE_MS (against `now`) are dropped,
 * then the oldest beyond MAX_REQUESTS. Throws RequestProblem when the request itself is invalid.
 */
export function addRequest(existing: readonly ControlRequest[], request: ControlRequest, now: number): ControlRequest[] {
  const problems = requestProblems(request, 'request');
  if (problems.length > 0) throw new RequestProblem(problems.join('; '));
  if (existing.some((r) => r.id === request.id)) throw new RequestProblem(`request.id: "${request.id}" is already used`);
  const fresh = existing.filter((r) => now - Date.parse(r.createdAt) <= REQUEST_MAX_AGE_MS);
  return [...fresh, request].slice(-MAX_REQUESTS);
}

/** The requests meant for `pod` that it has not acted on yet (not in `handled`), in order. */
export function pendingFor(pod: string, requests: readonly ControlRequest[], handled: ReadonlySet<string>): ControlRequest[] {
  return requests.filter((r) => r.pods.includes(pod) && !handled.has(r.id));
}

/** A pod's list of handled requests with one more: the newest MAX_REQUESTS, newest last. */
export function recordHandled(handled: readonly HandledRequest[], entry: HandledRequest): HandledRequest[] {
  return [...handled.filter((h) => h.id !== entry.id), entry].slice(-MAX_REQUESTS);
}

/** The pod entries the plugin reads: name and what that pod handled. */
export interface PodEntryLike {
  name: string;
  handledRequests?: readonly HandledRequest[] | undefined;
}

export type PodOutcome = { pod: string; done: true; handled: HandledRequest } | { pod: string; done: false; gone: boolean };

/**
 * Per targeted pod: what it did with request `id`, or that it has not yet — `gone` when its entry
 * left status.pods (the pod no longer exists, so it never will).
 */
export function outcomes(request: Pick<ControlRequest, 'id' | 'pods'>, entries: readonly PodEntryLike[]): PodOutcome[] {
  return request.pods.map((pod) => {
    const entry = entries.find((e) => e.name === pod);
    const handled = entry?.handledRequests?.find((h) => h.id === request.id);
    return handled ? { pod, done: true, handled } : { pod, done: false, gone: entry === undefined };
  });
}

/** Every targeted pod has acted, or can no longer. */
export function settled(outcomes: readonly PodOutcome[]): boolean {
  return outcomes.every((o) => o.done || o.gone);
}
