// Drift of an owned object: where the live object differs from the desired one, over exactly the
// fields the desired object sets. Maps are compared by the desired keys only (others' labels and
// annotations, fields the apiserver defaults, status stay out), except the atomic ones the API
// fills nothing into (selectors, a Role's rules), which are one value: a key or an element field
// someone added is drift there too, and a forced apply replaces them whole. Lists that server-side
// apply merges by key are compared entry by entry, and a live entry whose key the desired list does
// not have is a foreign entry: a forced apply cannot remove it (it belongs to another manager), so
// it is reported with the JSON pointer to remove it by.

export interface ForeignEntry {
  /** The drift path of the entry, e.g. spec.ports[port=9999,protocol=TCP]. */
  path: string;
  /** JSON pointer (RFC 6901) to the entry in the live object. */
  pointer: string;
}

export interface Drift {
  /** Field paths that differ, in walk order: changed or missing fields, and foreign list entries. */
  paths: string[];
  foreign: ForeignEntry[];
}

type Json = Record<string, unknown>;
type KeyOf = (entry: Json) => string | undefined;

const field =
  (...names: string[]): KeyOf =>
  (entry) =>
    names.every((n) => entry[n] !== undefined) ? names.map((n) => `${n}=${String(entry[n])}`).join(',') : undefined;

/** A port is keyed by its number and protocol (TCP when not given), as the API's list-map keys. */
const portKey =
  (number: string): KeyOf =>
  (entry) =>
    entry[number] === undefined ? undefined : `${number}=${String(entry[number])},protocol=${String(entry.protocol ?? 'TCP')}`;

/** The lists the API merges by key (x-kubernetes-list-map-keys), by field name. */
const KEYED_LISTS: Record<string, KeyOf> = {
  containers: field('name'),
  initContainers: field('name'),
  ephemeralContainers: field('name'),
  env: field('name'),
  volumes: field('name'),
  volumeMounts: field('mountPath'),
  volumeDevices: field('devicePath'),
  imagePullSecrets: field('name'),
  ownerReferences: field('uid'),
  ports: (entry) => ('containerPort' in entry ? portKey('containerPort')(entry) : portKey('port')(entry)),
};

/**
 * Fields the API treats as one value (x-kubernetes-map-type or list-type atomic) and defaults
 * nothing inside: compared exactly, live keys the desired value lacks included. Label selectors
 * (LabelSelector is atomic, and so is the Service's selector map), the pod's nodeSelector, a
 * Role's rules. Not RoleBinding subjects: the apiserver fills in a subject's apiGroup.
 */
const EXACT = new Set(['selector', 'labelSelector', 'namespaceSelector', 'matchLabels', 'nodeSelector', 'rules']);

/** Top-level fields never compared: identity, and what other parts of the system write. */
const SKIPPED_TOP = new Set(['apiVersion', 'kind', 'status']);
const SKIPPED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'managedFields', 'creationTimestamp']);

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isEmpty = (value: unknown): boolean => (Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0);

function segment(path: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === '' ? part : part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}

const pointerTo = (pointer: string, key: string | number) => `${pointer}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;

/** Compares live with desired over the fields desired sets; see the file comment. */
export function findDrift(desired: object, live: object): Drift {
  const drift: Drift = { paths: [], foreign: [] };
  const want = desired as Json;
  const have = live as Json;
  for (const [key, value] of Object.entries(want)) {
    if (SKIPPED_TOP.has(key) || value === undefined) continue;
    if (key === 'metadata' && isObject(value)) {
      const meta = isObject(have.metadata) ? have.metadata : {};
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (!SKIPPED_METADATA.has(metaKey)) walk(metaValue, meta[metaKey], segment('metadata', metaKey), `/metadata/${metaKey}`, metaKey, drift, false);
      }
      continue;
    }
    walk(value, have[key], segment('', key), `/${key}`, key, drift, false);
  }
  return drift;
}

/** within: inside an EXACT field, where live keys the desired value lacks are drift too. */
function walk(want: unknown, have: unknown, path: string, pointer: string, name: string, drift: Drift, within: boolean): void {
  if (want === undefined || want === null) return;
  const exact = within || EXACT.has(name);
  if (have === undefined || have === null) {
    if (!isEmpty(want)) drift.paths.push(path);
    return;
  }
  if (Array.isArray(want)) {
    const keyOf = KEYED_LISTS[name];
    if (keyOf && !exact && Array.isArray(have) && want.every(isObject) && have.every(isObject)) keyedList(want, have, keyOf, path, pointer, drift);
    else if (!Array.isArray(have) || have.length !== want.length || want.some((w, i) => !covers(w, have[i], exact))) drift.paths.push(path);
    return;
  }
  if (isObject(want)) {
    if (!isObject(have)) {
      drift.paths.push(path);
      return;
    }
    for (const [key, value] of Object.entries(want)) walk(value, have[key], segment(path, key), pointerTo(pointer, key), key, drift, exact);
    if (exact) for (const key of extraKeys(want, have)) drift.paths.push(segment(path, key));
    return;
  }
  if (want !== have) drift.paths.push(path);
}

function keyedList(want: Json[], have: Json[], keyOf: KeyOf, path: string, pointer: string, drift: Drift): void {
  const wanted = new Set(want.map(keyOf));
  const live = new Map<string | undefined, number>();
  have.forEach((entry, index) => {
    const key = keyOf(entry);
    if (!live.has(key)) live.set(key, index);
    if (!wanted.has(key)) {
      const entryPath = `${path}[${key ?? index}]`;
      drift.paths.push(entryPath);
      drift.foreign.push({ path: entryPath, pointer: pointerTo(pointer, index) });
    }
  });
  for (const entry of want) {
    const key = keyOf(entry);
    const index = live.get(key);
    const entryPath = `${path}[${key}]`;
    if (index === undefined) drift.paths.push(entryPath);
    else
      for (const [field, value] of Object.entries(entry))
        walk(value, have[index]![field], segment(entryPath, field), pointerTo(pointerTo(pointer, index), field), field, drift, false);
  }
}

/** The keys of a live map with a value that the desired map does not set. */
function extraKeys(want: Json, have: Json): string[] {
  return Object.keys(have).filter((key) => (want[key] === undefined || want[key] === null) && have[key] !== undefined && have[key] !== null && !isEmpty(have[key]));
}

/** Whether have holds everything want sets (an atomic list's element, compared as a whole); with exact, nothing more. */
function covers(want: unknown, have: unknown, exact: boolean): boolean {
  if (want === undefined || want === null) return true;
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(w, have[i], exact));
  if (isObject(want)) {
    if (!isObject(have)) return isEmpty(want) && have === undefined;
    return Object.entries(want).every(([k, v]) => covers(v, have[k], exact)) && (!exact || extraKeys(want, have).length === 0);
  }
  return want === have;
}

/**
 * The JSON patch that removes the foreign entries, guarded by the resourceVersion the drift was found
 * at (a concurrent write makes it fail rather than remove the wrong entry). Entries of one list are
 * removed from the last pointer down (indices compared as numbers), so the earlier pointers stay valid.
 */
export function removeForeignPatch(foreign: ForeignEntry[], resourceVersion: string): { op: string; path: string; value?: string }[] {
  const ordered = [...foreign].sort((a, b) => comparePointers(b.pointer, a.pointer));
  return [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...ordered.map((f) => ({ op: 'remove', path: f.pointer }))];
}

function comparePointers(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const numeric = /^\d+$/.test(x[i]!) && /^\d+$/.test(y[i]!);
    return numeric ? Number(x[i]) - Number(y[i]) : x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}
