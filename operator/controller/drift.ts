// Drift of an owned object: where the live object differs from the desired one, over exactly the
// fields the desired object sets. Maps are compared by the desired keys only (others' labels and
// annotations, fields the apiserver defaults, status stay out), except the atomic ones the API
// fills nothing into (selectors, a Role's rules), which are one value: a key or an element field
// someone added is drift there too, and a forced apply replaces them whole. Lists that server-side
// apply merges by key are compared entry by entry, and a live entry whose key the desired list does
// not have is a foreign entry: a forced apply cannot remove it (it belongs to another manager).
//
// Each difference comes with what fixes it, so that repairPatch can restore the whole object in
// one JSON patch: removing a foreign entry alone can leave an invalid object (a volume mount naming
// the volume removed; a Service without ports), and a forced apply alone too (the foreign Service
// port and ours under one name); only both at once are valid.
export interface ForeignEntry {
  /** The drift path of the entry, e.g. spec.ports[port=9999,protocol=TCP]. */
  path: string;
  /** JSON pointer (RFC 6901) to the entry in the live object. */
  pointer: string;
  /** The entry as the live object has it. */
  entry: unknown;
}

/** A JSON patch (RFC 6902) operation of a repair. */
export interface PatchOp {
  op: 'test' | 'add' | 'remove';
  path: string;
  value?: unknown;
}

export interface Drift {
  /** Field paths that differ, in walk order: changed or missing fields, and foreign list entries. */
  paths: string[];
  foreign: ForeignEntry[];
  /** What sets the differing fields to the desired values, at pointers into the live object (see repairPatch). */
  fixes: { set: PatchOp[]; append: PatchOp[]; guards: PatchOp[] };
}

type Json = Record<string, unknown>;
/** The fields of a list entry's key (x-kubernetes-list-map-keys). */
type KeyFields = (entry: Json) => string[];

const by =
  (...names: string[]): KeyFields =>
  () =>
    names;

/** The lists the API merges by key, by field name. A port is keyed by its number and protocol. */
const KEYED_LISTS: Record<string, KeyFields> = {
  containers: by('name'),
  initContainers: by('name'),
  ephemeralContainers: by('name'),
  env: by('name'),
  volumes: by('name'),
  volumeMounts: by('mountPath'),
  volumeDevices: by('devicePath'),
  imagePullSecrets: by('name'),
  ownerReferences: by('uid'),
  ports: (entry) => ('containerPort' in entry ? ['containerPort', 'protocol'] : ['port', 'protocol']),
};

/** Key fields the apiserver defaults (a port's protocol). */
const KEY_DEFAULTS: Record<string, string> = { protocol: 'TCP' };

function keyOf(fields: string[], entry: Json): string | undefined {
  const parts: string[] = [];
  for (const name of fields) {
    const value = entry[name] ?? KEY_DEFAULTS[name];
    if (value === undefined) return undefined;
    parts.push(`${name}=${String(value)}`);
  }
  return parts.join(',');
}

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
  const drift: Drift = { paths: [], foreign: [], fixes: { set: [], append: [], guards: [] } };
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
  // The field as a whole takes the desired value ('add' sets an object member, there or not).
  const differs = () => {
    drift.paths.push(path);
    drift.fixes.set.push({ op: 'add', path: pointer, value: want });
  };
  if (have === undefined || have === null) {
    if (!isEmpty(want)) differs();
    return;
  }
  if (Array.isArray(want)) {
    const keyFields = KEYED_LISTS[name];
    if (keyFields && !exact && Array.isArray(have) && want.every(isObject) && have.every(isObject)) keyedList(want, have, keyFields, path, pointer, drift);
    else if (!Array.isArray(have) || have.length !== want.length || want.some((w, i) => !covers(w, have[i], exact))) differs();
    return;
  }
  if (isObject(want)) {
    if (!isObject(have)) {
      differs();
      return;
    }
    for (const [key, value] of Object.entries(want)) walk(value, have[key], segment(path, key), pointerTo(pointer, key), key, drift, exact);
    if (exact) {
      for (const key of extraKeys(want, have)) {
        drift.paths.push(segment(path, key));
        drift.fixes.set.push({ op: 'remove', path: pointerTo(pointer, key) });
      }
    }
    return;
  }
  if (want !== have) differs();
}

function keyedList(want: Json[], have: Json[], keyFields: KeyFields, path: string, pointer: string, drift: Drift): void {
  const key = (entry: Json) => keyOf(keyFields(entry), entry);
  const wanted = new Set(want.map(key));
  const live = new Map<string | undefined, number>();
  have.forEach((entry, index) => {
    const entryKey = key(entry);
    if (!live.has(entryKey)) live.set(entryKey, index);
    if (!wanted.has(entryKey)) {
      const entryPath = `${path}[${entryKey ?? index}]`;
      drift.paths.push(entryPath);
      drift.foreign.push({ path: entryPath, pointer: pointerTo(pointer, index), entry });
    }
  });
  for (const entry of want) {
    const entryKey = key(entry);
    const index = live.get(entryKey);
    const entryPath = `${path}[${entryKey}]`;
    if (index === undefined) {
      drift.paths.push(entryPath);
      drift.fixes.append.push({ op: 'add', path: `${pointer}/-`, value: entry });
      continue;
    }
    const entryPointer = pointerTo(pointer, index);
    const fixesBefore = drift.fixes.set.length + drift.fixes.append.length;
    for (const [field, value] of Object.entries(entry)) walk(value, have[index]![field], segment(entryPath, field), pointerTo(entryPointer, field), field, drift, false);
    // Fixes inside the entry are made only if it is still the entry of this key at that index.
    if (drift.fixes.set.length + drift.fixes.append.length > fixesBefore) {
      const liveEntry = have[index]!;
      for (const name of keyFields(liveEntry)) {
        if (liveEntry[name] !== undefined) drift.fixes.guards.push({ op: 'test', path: pointerTo(entryPointer, name), value: liveEntry[name] });
      }
    }
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
 * The JSON patch that makes the live object what the desired one sets, in one write (see the file
 * comment): the differing fields set, missing list entries appended, foreign entries removed (from
 * the last pointer down, indices compared as numbers, after everything else, so that every pointer
 * into the live object stays valid). Guarded by tests that each foreign entry, and each entry a fix
 * is made in, is still the one seen at its index: a concurrent write of the list makes the patch fail
 * rather than change the wrong entry, while writes elsewhere (a Deployment's status, moments after
 * the edit) do not.
 */
export function repairPatch(drift: Drift): PatchOp[] {
  const foreign = [...drift.foreign].sort((a, b) => comparePointers(b.pointer, a.pointer));
  return [
    ...drift.fixes.guards,
    ...foreign.map((f): PatchOp => ({ op: 'test', path: f.pointer, value: f.entry })),
    ...drift.fixes.set,
    ...drift.fixes.append,
    ...foreign.map((f): PatchOp => ({ op: 'remove', path: f.pointer })),
  ];
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
