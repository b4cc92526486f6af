// Connections from a kubeconfig (or in-cluster when there is none). The common cases — in-cluster
// ServiceAccount token (re-read as the kubelet rotates it), kubeconfig with client certificates,
// a token or a token file — are read here directly. Anything else in a kubeconfig (exec plugins,
// auth providers, basic auth) goes through @kubernetes/client-node's KubeConfig, loaded only then:
// importing it costs the process ~65 MB of RSS, half the operator's budget.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { Connection, TlsOptions } from './connection.js';
import { inClusterConnection, tokenFileHeaders } from './token-connection.js';

export interface ConnectionSource {
  kubeconfig?: string;
  /** A context of the kubeconfig other than its current-context (kubectl's --context). */
  context?: string;
  env?: NodeJS.ProcessEnv;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user?: string; namespace?: string } }[];
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
}

const LEAN_USER_KEYS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile']);

function contextOf(config: KubeconfigFile, name: string | undefined) {
  const contextName = name ?? config['current-context'];
  const context = config.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`kubeconfig: no context named "${contextName ?? ''}"`);
  return context;
}

/** The namespace the context (default: the current one) names, if any. */
export function kubeconfigNamespace(text: string, contextName?: string): string | undefined {
  return contextOf((parse(text) ?? {}) as KubeconfigFile, contextName).namespace || undefined;
}

/** What the kubeconfig says, or 'client-node' when its user needs an authenticator we do not implement. */
export function parseKubeconfig(text: string, baseDir: string, contextName?: string): Connection | 'client-node' {
  const config = (parse(text) ?? {}) as KubeconfigFile;
  const context = contextOf(config, contextName);
  const cluster = config.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`kubeconfig: cluster "${context.cluster}" has no server`);
  const user = (context.user ? config.users?.find((u) => u.name === context.user)?.user : undefined) ?? {};
  if (Object.keys(user).some((k) => !LEAN_USER_KEYS.has(k))) return 'client-node';
  const file = (value: unknown) => readFileSync(path.resolve(baseDir, String(value)));
  const data = (value: unknown) => Buffer.from(String(value), 'base64');
  const tls: TlsOptions = {};
  if (cluster['certificate-authority-data']) tls.ca = data(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) tls.ca = file(cluster['certificate-authority']);
  if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  if (typeof cluster['tls-server-name'] === 'string') tls.servername = cluster['tls-server-name'];
  if (user['client-certificate-data']) tls.cert = data(user['client-certificate-data']);
  else if (user['client-certificate']) tls.cert = file(user['client-certificate']);
  if (user['client-key-data']) tls.key = data(user['client-key-data']);
  else if (user['client-key']) tls.key = file(user['client-key']);
  let headers: () => Promise<Record<string, string>> = async () => ({});
  if (typeof user.token === 'string') {
    const token = user.token;
    headers = async () => ({ Authorization: `Bearer ${token}` });
  } else if (typeof user.tokenFile === 'string') headers = tokenFileHeaders(path.resolve(baseDir, user.tokenFile));
  return { via: 'kubeconfig', server: new URL(cluster.server), tls, headers };
}

async function viaClientNode(file: string, context: string | undefined): Promise<Connection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig: no current cluster');
  const first: { headers: Record<string, string> } & TlsOptions = { headers: {} };
  await kc.applyToHTTPSOptions(first);
  const tls: TlsOptions = { ca: first.ca, cert: first.cert, key: first.key, servername: first.servername };
  if (first.rejectUnauthorized !== undefined) tls.rejectUnauthorized = first.rejectUnauthorized;
  return {
    via: 'client-node',
    server: new URL(cluster.server),
    tls,
    headers: async () => {
      const options: { headers: Record<string, string>; auth?: string } = { headers: {} };
      await kc.applyToHTTPSOptions(options);
      if (options.auth) options.headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
      return options.headers;
    },
  };
}

/** --kubeconfig FILE; else in-cluster; else $KUBECONFIG (first file) or ~/.kube/config. */
export async function connect(source: ConnectionSource = {}): Promise<Connection> {
  const env = source.env ?? process.env;
  let file = source.kubeconfig;
  if (!file) {
    if (env.KUBERNETES_SERVICE_HOST) return inClusterConnection(env);
    file = env.KUBECONFIG?.split(path.delimiter).find(Boolean) ?? path.join(homedir(), '.kube', 'config');
  }
  if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`kubeconfig ${file} not found`);
  const parsed = parseKubeconfig(readFileSync(file, 'utf8'), path.dirname(path.resolve(file)), source.context);
  return parsed === 'client-node' ? viaClientNode(file, source.context) : parsed;
}
