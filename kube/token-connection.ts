// A Connection that authenticates with a bearer token file, as a pod's ServiceAccount does: the
// in-cluster case of the operator and of every sidecar-init. No YAML, no client-node: the
// sidecar imports only this (docs/kubernetes.md, "the light client").
import fs from 'node:fs';
import path from 'node:path';
import type { Connection, TlsOptions } from './connection.js';

/** Where the kubelet mounts a pod's ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REREAD_MS = 60_000;

export interface TokenConnectionOptions {
  /** https://host:port of the API server. */
  server: string;
  tokenFile: string;
  /** PEM bundle; without it the system's roots are used. */
  caFile?: string;
  /** TLS name to check the server certificate against, when it differs from the URL's host. */
  servername?: string;
  /** How long a token read from the file is used before it is read again (default 60 s, as client-go does for projected tokens). */
  tokenMaxAgeMs?: number;
}

/** Authorization from a token file, read again once it is older than maxAgeMs or when asked for a fresh one (after a 401). */
export function tokenFileHeaders(file: string, maxAgeMs = TOKEN_REREAD_MS): (fresh?: boolean) => Promise<Record<string, string>> {
  let token = '';
  let readAt = -Infinity;
  return async (fresh = false) => {
    if (fresh || performance.now() - readAt > maxAgeMs) {
      token = fs.readFileSync(file, 'utf8').trim();
      readAt = performance.now();
    }
    return { Authorization: `Bearer ${token}` };
  };
}

export function tokenConnection(options: TokenConnectionOptions): Connection {
  const server = new URL(options.server);
  if (server.protocol !== 'https:') throw new Error(`the API server URL must be https, got ${options.server}`);
  const tls: TlsOptions = {};
  if (options.caFile) tls.ca = fs.readFileSync(options.caFile);
  if (options.servername) tls.servername = options.servername;
  return { via: 'in-cluster', server, tls, headers: tokenFileHeaders(options.tokenFile, options.tokenMaxAgeMs) };
}

/** The in-cluster settings from the environment and the mounted ServiceAccount files, or why there are none. */
export function inClusterSettings(env: NodeJS.ProcessEnv = process.env, dir: string = SERVICE_ACCOUNT_DIR): TokenConnectionOptions | { error: string } {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT_HTTPS ?? env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return { error: 'KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set' };
  const tokenFile = path.join(dir, 'token');
  const caFile = path.join(dir, 'ca.crt');
  if (!fs.existsSync(tokenFile)) return { error: `no ServiceAccount token at ${tokenFile}` };
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, tokenFile, ...(fs.existsSync(caFile) ? { caFile } : {}) };
}

export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir: string = SERVICE_ACCOUNT_DIR): Connection {
  const settings = inClusterSettings(env, dir);
  if ('error' in settings) throw new Error(`in-cluster configuration: ${settings.error}`);
  return tokenConnection(settings);
}
