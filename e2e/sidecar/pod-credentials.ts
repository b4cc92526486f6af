// A CorePod pod's identity without a pod, for testing the sidecar's Kubernetes client from the
// host: the ServiceAccount, Role and RoleBinding the operator builds for a CorePod, a real token
// for that ServiceAccount (TokenRequest via kubectl), and the cluster CA, in a temporary folder
// laid out like /var/run/secrets/kubernetes.io/serviceaccount.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { buildRole, buildRoleBinding, buildServiceAccount } from '../../operator/desired/rbac.js';
import { names } from '../../operator/desired/names.js';
import { kubeconfigPath, kubectl } from '../support/cluster-env.js';

export interface PodCredentials {
  dir: string;
  tokenFile: string;
  caFile: string;
  server: string;
  serviceAccount: string;
  /** A fresh token for the ServiceAccount. */
  newToken(): Promise<string>;
  remove(): void;
}

export interface ApiServerAddress {
  server: string;
  ca: Buffer;
}

/** The API server URL and CA of the test kubeconfig (loopback from the host). */
export async function apiServerAddress(): Promise<ApiServerAddress> {
  const config = parse(fs.readFileSync(kubeconfigPath(), 'utf8')) as {
    'current-context': string;
    contexts: { name: string; context: { cluster: string } }[];
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  };
  const context = config.contexts.find((c) => c.name === config['current-context'])!;
  const cluster = config.clusters.find((c) => c.name === context.context.cluster)!.cluster;
  const ca = cluster['certificate-authority-data'] ? Buffer.from(cluster['certificate-authority-data'], 'base64') : fs.readFileSync(cluster['certificate-authority']!);
  return { server: cluster.server, ca };
}

export async function applyObjects(objects: unknown[]): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'corepod-test', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });
}

/** Creates the CorePod's RBAC objects (as the operator builds them) and a token for its ServiceAccount. */
export async function podCredentials(corePod: CorePodObject): Promise<PodCredentials> {
  await applyObjects([buildServiceAccount(corePod), buildRole(corePod), buildRoleBinding(corePod)]);
  const serviceAccount = names.serviceAccount(corePod.metadata.name);
  const { server, ca } = await apiServerAddress();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-sa-'));
  const tokenFile = path.join(dir, 'token');
  const caFile = path.join(dir, 'ca.crt');
  fs.writeFileSync(caFile, ca);
  fs.writeFileSync(path.join(dir, 'namespace'), corePod.metadata.namespace);
  const newToken = async () => (await kubectl(['create', 'token', '-n', corePod.metadata.namespace, serviceAccount, '--duration', '1h'])).stdout.trim();
  fs.writeFileSync(tokenFile, await newToken(), { mode: 0o600 });
  return { dir, tokenFile, caFile, server, serviceAccount, newToken, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Creates a CorePod and returns it as the operator sees it (with its uid). */
export async function createCorePod(namespace: string, name: string, spec: Record<string, unknown>): Promise<CorePodObject> {
  await kubectl(['apply', '-f', '-'], { input: stringify({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name, namespace }, spec }) });
  const { stdout } = await kubectl(['get', 'corepod', '-n', namespace, name, '-o', 'json']);
  return JSON.parse(stdout) as CorePodObject;
}
