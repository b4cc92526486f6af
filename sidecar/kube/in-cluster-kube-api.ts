// A light KubeApi (operator/kube/kube-api.ts) for the sidecar-init inside its pod: node:https, the
// ServiceAccount's projected token (re-read every minute and after a 401, as it rotates) and the
// cluster CA. Importing @kubernetes/client-node costs ~77 MB of resident memory, twice the Node
// floor, for the few requests the sidecar makes (docs/kubernetes.md).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import {
  ApiError, resourcePath, type ApiStatus, type KubeApi, type KubeObject, type ListOptions, type ListResult, type PatchType,
  type ResourceType, type WatchEnd, type WatchEvent, type WatchHandle, type WatchOptions,
} from '../../operator/kube/kube-api.js';
import { TOKEN_MOUNT_PATH } from '../../operator/desired/sidecar-contract.js';

export interface InClusterOptions {
  /** https://host:port of the API server. */
  server: string;
  tokenFile: string;
  /** PEM bundle; without it the system's roots are used. */
  caFile?: string;
  /** TLS name to check the server certificate against, when it differs from the URL's host. */
  servername?: string;
  requestTimeoutMs?: number;
  /** How long a token read from the file is used before it is read again. */
  tokenMaxAgeMs?: number;
  userAgent?: string;
}

const CONTENT_TYPE: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

/** The in-cluster options from the environment and the mounted ServiceAccount files, or why not. */
export function inClusterOptions(env: NodeJS.ProcessEnv = process.env, dir: string = TOKEN_MOUNT_PATH): InClusterOptions | { error: string } {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT_HTTPS ?? env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return { error: 'KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set' };
  const tokenFile = path.join(dir, 'token');
  const caFile = path.join(dir, 'ca.crt');
  if (!fs.existsSync(tokenFile)) return { error: `no ServiceAccount token at ${tokenFile}` };
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, tokenFile, ...(fs.existsSync(caFile) ? { caFile } : {}) };
}

export class InClusterKubeApi implements KubeApi {
  private readonly server: URL;
  private readonly agent: https.Agent;
  private readonly watchAgent: https.Agent;
  private token: { value: string; readAt: number } | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: InClusterOptions) {
    this.server = new URL(options.server);
    if (this.server.protocol !== 'https:') throw new Error(`the API server URL must be https, got ${options.server}`);
    const tls = {
      ...(options.caFile ? { ca: fs.readFileSync(options.caFile) } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
    };
    this.agent = new https.Agent({ ...tls, keepAlive: true, maxSockets: 4 });
    this.watchAgent = new https.Agent({ ...tls, keepAlive: false });
    this.timeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  private bearer(fresh: boolean): string {
    const maxAge = this.options.tokenMaxAgeMs ?? 60_000;
    if (fresh || !this.token || Date.now() - this.token.readAt > maxAge) {
      this.token = { value: fs.readFileSync(this.options.tokenFile, 'utf8').trim(), readAt: Date.now() };
    }
    return this.token.value;
  }

  private requestOptions(method: string, apiPath: string, query: Query, headers: Record<string, string>, freshToken: boolean): https.RequestOptions {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const qs = search.toString();
    return {
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || 443,
      path: `${this.server.pathname.replace(/\/$/, '')}${apiPath}${qs ? `?${qs}` : ''}`,
      method,
      headers: {
        Accept: 'application/json',
        Authorization: `Bearer ${this.bearer(freshToken)}`,
        ...(this.options.userAgent ? { 'User-Agent': this.options.userAgent } : {}),
        ...headers,
      },
    };
  }

  private async request<T>(method: string, apiPath: string, query: Query = {}, body?: unknown, contentType = 'application/json'): Promise<T> {
    try {
      return await this.once<T>(method, apiPath, query, body, contentType, false);
    } catch (error) {
      // The token may have rotated since it was read.
      if (error instanceof ApiError && error.code === 401) return this.once<T>(method, apiPath, query, body, contentType, true);
      throw error;
    }
  }

  private once<T>(method: string, apiPath: string, query: Query, body: unknown, contentType: string, freshToken: boolean): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = payload ? { 'Content-Type': contentType, 'Content-Length': String(payload.length) } : {};
    const opts = { ...this.requestOptions(method, apiPath, query, headers, freshToken), agent: this.agent };
    return new Promise<T>((resolve, reject) => {
      const req = https.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = parseJson(text);
          if (code >= 200 && code < 300) resolve(parsed as T);
          else reject(toApiError(code, parsed, text));
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${apiPath}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', resourcePath(type, namespace, name));
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ListResult<T>> {
    const body = await this.request<{ items?: T[]; metadata: { resourceVersion: string; continue?: string } }>('GET', resourcePath(type, options.namespace), {
      labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.limit, continue: options.continue,
    });
    return { items: body.items ?? [], resourceVersion: body.metadata.resourceVersion, ...(body.metadata.continue ? { continue: body.metadata.continue } : {}) };
  }

  watch<T extends KubeObject>(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    let finish!: (end: WatchEnd) => void;
    const ended = new Promise<WatchEnd>((resolve) => (finish = resolve));
    let settled = false;
    let stopped = false;
    const settle = (end: WatchEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      finish(stopped ? { kind: 'stopped' } : end);
    };
    // A stream silent well past the server's timeoutSeconds is a dead connection.
    const idleMs = (options.timeoutSeconds + 30) * 1000;
    let idle: NodeJS.Timeout | undefined;
    let req: http.ClientRequest | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => req?.destroy(new Error(`watch ${type.plural}: no data for ${idleMs} ms`)), idleMs);
      idle.unref();
    };
    const query: Query = {
      watch: 1, resourceVersion: options.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: options.timeoutSeconds,
      labelSelector: options.labelSelector, fieldSelector: options.fieldSelector,
    };
    try {
      req = https.request({ ...this.requestOptions('GET', resourcePath(type, options.namespace), query, {}, false), agent: this.watchAgent }, (res) => {
        const code = res.statusCode ?? 0;
        if (code !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            settle({ kind: 'failed', error: toApiError(code, parseJson(text), text) });
          });
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          touch();
          buffer += chunk;
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line) continue;
            const event = parseJson(line) as { type?: string; object?: unknown } | undefined;
            if (!event?.type) {
              req?.destroy(new Error(`watch ${type.plural}: bad event line`));
              return;
            }
            if (event.type === 'ERROR') onEvent({ type: 'ERROR', status: event.object as ApiStatus });
            else onEvent({ type: event.type as 'ADDED', object: event.object as T });
          }
        });
        res.on('end', () => settle({ kind: 'closed' }));
        res.on('error', (error) => settle({ kind: 'failed', error }));
      });
      touch();
      req.on('error', (error) => settle({ kind: 'failed', error }));
      req.end();
    } catch (error) {
      settle({ kind: 'failed', error: error as Error });
    }
    return {
      ended,
      stop: () => {
        stopped = true;
        req?.destroy();
        settle({ kind: 'stopped' });
      },
    };
  }

  apply<T extends KubeObject>(type: ResourceType, object: KubeObject, options: { fieldManager: string; force: boolean; subresource?: 'status' }): Promise<T> {
    const meta = object.metadata ?? {};
    return this.request<T>('PATCH', resourcePath(type, meta.namespace, meta.name, options.subresource), { fieldManager: options.fieldManager, force: options.force }, object, CONTENT_TYPE.apply);
  }

  create<T extends KubeObject>(type: ResourceType, object: KubeObject, options: { fieldManager?: string } = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(type, object.metadata?.namespace), { fieldManager: options.fieldManager }, object);
  }

  replace<T extends KubeObject>(type: ResourceType, object: KubeObject, options: { fieldManager?: string } = {}): Promise<T> {
    const meta = object.metadata ?? {};
    return this.request<T>('PUT', resourcePath(type, meta.namespace, meta.name), { fieldManager: options.fieldManager }, object);
  }

  patch<T extends KubeObject>(
    type: ResourceType, namespace: string | undefined, name: string, patchType: PatchType, body: unknown,
    options: { fieldManager?: string; subresource?: 'status' } = {},
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, namespace, name, options.subresource), { fieldManager: options.fieldManager }, body, CONTENT_TYPE[patchType]);
  }

  async delete(
    type: ResourceType, namespace: string | undefined, name: string,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string } = {},
  ): Promise<void> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.uid) body.preconditions = { uid: options.uid };
    try {
      await this.request('DELETE', resourcePath(type, namespace, name), {}, body);
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return;
      throw error;
    }
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toApiError(code: number, parsed: unknown, text: string): ApiError {
  const status = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ApiStatus;
  return new ApiError(status.code ?? code, status.reason ?? String(code), status.message ?? (text.slice(0, 500) || `HTTP ${code}`), status);
}
