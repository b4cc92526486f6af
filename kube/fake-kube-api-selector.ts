// Label and field selectors as the apiserver parses them, for the fake apiserver (fake-kube-api.ts).
// Labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas.
// Fields: metadata.name and metadata.namespace with =, == or != (what every type supports).
import type { ObjectMetaLike } from './kube-api.js';

export type Selector = (meta: ObjectMetaLike) => boolean;

export class SelectorError extends Error {}

const KEY = '[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?';
const VALUE = '([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?';
const EQUALITY = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^()]*)\)$`);
const EXISTS = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/** Splits on the commas outside parentheses. */
function requirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

export function labelSelector(selector: string | undefined): Selector {
  if (!selector?.trim()) return () => true;
  const tests = requirements(selector).map((requirement): ((labels: Record<string, string>) => boolean) => {
    let m = EQUALITY.exec(requirement);
    if (m) {
      const [key, op, value] = [m[1]!, m[3]!, m[4] ?? ''];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = SET.exec(requirement);
    if (m) {
      const key = m[1]!;
      const values = m[4]!.split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) throw new SelectorError(`unable to parse requirement: ${requirement}`);
      return m[3] === 'in' ? (l) => key in l && values.includes(l[key]!) : (l) => !(key in l) || !values.includes(l[key]!);
    }
    m = EXISTS.exec(requirement);
    if (m) {
      const key = m[2]!;
      return m[1] ? (l) => !(key in l) : (l) => key in l;
    }
    throw new SelectorError(`unable to parse requirement: ${JSON.stringify(requirement)}`);
  });
  return (meta) => tests.every((t) => t(meta.labels ?? {}));
}

const FIELDS: Record<string, (meta: ObjectMetaLike) => string> = {
  'metadata.name': (m) => m.name ?? '',
  'metadata.namespace': (m) => m.namespace ?? '',
};

export function fieldSelector(selector: string | undefined): Selector {
  if (!selector?.trim()) return () => true;
  const tests = selector.split(',').map((requirement) => {
    const m = /^\s*([A-Za-z0-9.]+)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(requirement);
    if (!m) throw new SelectorError(`invalid field selector: ${JSON.stringify(requirement)}`);
    const field = FIELDS[m[1]!];
    if (!field) throw new SelectorError(`field label not supported: ${m[1]}`);
    const [op, value] = [m[2]!, m[3]!];
    return (meta: ObjectMetaLike) => (field(meta) === value) === (op !== '!=');
  });
  return (meta) => tests.every((t) => t(meta));
}
