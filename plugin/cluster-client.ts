// Where kubectl would go: --kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config,
// else the pod's ServiceAccount; the namespace from -n, else the context's, else the pod's, else
// "default". The project's own client (kube/): no kubectl, no client-node for the usual kubeconfigs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Connection } from '../kube/connection.js';
import { HttpKubeApi } from '../kube/http-kube-api.js';
import { ApiError } from '../kube/kube-api.js';
import { connect, kubeconfigNamespace } from '../kube/kubeconfig.js';
import { SERVICE_ACCOUNT_DIR } from '../kube/token-connection.js';
import { CannotReach, Failed, UsageError, type KubeFlags } from './plugin-args.js';

export interface Cluster {
  api: HttpKubeApi;
  namespace: string;
  server: string;
  close(): void;
}

/** The kubeconfig file kubectl would read, or undefined when there is none (then: in-cluster). */
export function kubeconfigFile(flags: KubeFlags, env: NodeJS.ProcessEnv): string | undefined {
  if (flags.kubeconfig !== undefined) {
    if (!existsSync(flags.kubeconfig) || !statSync(flags.kubeconfig).isFile()) throw new UsageError(`--kubeconfig: ${flags.kubeconfig} does not exist`);
    return flags.kubeconfig;
  }
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).find((f) => f && existsSync(f));
  if (fromEnv) return fromEnv;
  const home = path.join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

function impersonating(connection: Connection, flags: KubeFlags): Connection {
  if (!flags.as && flags.asGroups.length === 0) return connection;
  if (!flags.as) throw new UsageError('--as-group: needs --as');
  return {
    ...connection,
    headers: async (fresh) => {
      const headers: Record<string, string> = { ...(await connection.headers(fresh)), 'Impersonate-User': flags.as! };
      // Node sends an array as one header per value, as the API server wants for groups.
      if (flags.asGroups.length > 0) (headers as Record<string, string | string[]>)['Impersonate-Group'] = flags.asGroups;
      return headers;
    },
  };
}

export async function openCluster(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): Promise<Cluster> {
  const file = kubeconfigFile(flags, env);
  let connection: Connection;
  let namespace = flags.namespace;
  if (file) {
    const text = readFileSync(file, 'utf8');
    try {
      namespace ??= kubeconfigNamespace(text, flags.context);
      connection = await connect({ kubeconfig: file, ...(flags.context ? { context: flags.context } : {}), env });
    } catch (error) {
      const message = (error as Error).message;
      if (flags.context && /no context named/.test(message)) throw new UsageError(`--context: no context named "${flags.context}" in ${file}`);
      throw new CannotReach(`cannot use the kubeconfig ${file}: ${message}`);
    }
  } else if (env.KUBERNETES_SERVICE_HOST) {
    if (flags.context) throw new UsageError(`--context: no kubeconfig to find "${flags.context}" in`);
    connection = await connect({ env });
    const nsFile = path.join(SERVICE_ACCOUNT_DIR, 'namespace');
    namespace ??= existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
  } else throw new CannotReach('no kubeconfig (--kubeconfig, $KUBECONFIG or ~/.kube/config) and not in a pod');
  const api = new HttpKubeApi(impersonating(connection, flags), { userAgent: 'kubectl-corepod', requestTimeoutMs: 30_000 });
  return { api, namespace: namespace ?? 'default', server: connection.server.origin, close: () => api.close() };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/**
 * An error of a request to the API server as the exit codes see it: unreachable (3), or refused
 * with the server's own words (1), as kubectl prints them.
 */
export function apiFailure(error: unknown, server: string): Error {
  if (error instanceof ApiError) return new Failed(`Error from server (${error.reason}): ${error.message}`);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = (error as Error | undefined)?.message ?? String(error);
  if ((code && NETWORK_CODES.has(code)) || /no answer within|socket hang up|certificate|self[- ]signed/i.test(message))
    return new CannotReach(`cannot reach the API server at ${server}: ${message}`);
  return error instanceof Error ? error : new Error(message);
}
