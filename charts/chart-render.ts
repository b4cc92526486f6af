// `helm template` of charts/corepod with the built Helm 4 or Helm 3, parsed into objects: what the
// chart's unit tests and cluster tests read.
import { execFile } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { helmPath, type HelmMajor } from '../e2e/cluster/cluster.js';
import { repoRoot } from './crd-template.js';
import { CHART_DIR } from './values-table.js';

export const HELMS: readonly HelmMajor[] = ['v4', 'v3'];
export const CHART = `${repoRoot}${CHART_DIR}`;

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read as free-form JSON
export type Json = Record<string, any>;

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runHelm(major: HelmMajor, args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(helmPath(major), args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** --set-string/--set/-f arguments from a list; the release is "corepod" in "corepod-system" unless given. */
export async function renderText(major: HelmMajor, args: readonly string[] = [], release = 'corepod', namespace = 'corepod-system'): Promise<string> {
  const result = await runHelm(major, ['template', release, CHART, '--namespace', namespace, ...args]);
  if (result.code !== 0) throw new Error(`helm ${major} template failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export function objectsOf(text: string): Json[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Json)
    .filter((o) => o && typeof o === 'object');
}

export async function render(major: HelmMajor, args: readonly string[] = [], release?: string, namespace?: string): Promise<Json[]> {
  return objectsOf(await renderText(major, args, release, namespace));
}

/** The one object of a kind (and name, if given); fails unless there is exactly one. */
export function only(objects: Json[], kind: string, name?: string): Json {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

export const kindsOf = (objects: Json[]): string[] => objects.map((o) => o.kind as string).sort();
