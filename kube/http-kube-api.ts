// KubeApi over node:https with a keep-alive agent: requests, streaming watches and their timeouts
// are ours; who we are and where the apiserver is comes from connection.ts (which defers to
// @kubernetes/client-node for the authenticators it does not implement itself).
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { http } from '../lib/node-http.js';
import https from 'node:https';
import {
  ApiError,
  resourcePath,
  type ApiStatus,
  type KubeApi,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type PatchType,
  type ResourceType,
  type ServerVersion,
  type WatchEnd,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from './kube-api.js';
import type { Connection } from './connection.js';

const CONTENT_TYPE: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export type RequestObserver = (method: string, code: number | 'error') => void;

type Query = Record<string, string | number | boolean | undefined>;

const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpKubeApiOptions {
  /** Connections kept per agent for requests (watches have their own). Default 64. */
  maxSockets?: number;
  observe?: RequestObserver;
  userAgent?: string;
  /** A request without an answer for this long fails (default 30 s). */
  requestTimeoutMs?: number;
}

export class HttpKubeApi implements KubeApi {
  private readonly server: URL;
  private readonly agents: { request: Agent; watch: Agent };

  constructor(
    private readonly connection: Connection,
    private readonly options: HttpKubeApiOptions = {},
  ) {
    this.server = connection.server;
    const Agent = this.server.protocol === 'https:' ? https.Agent : http.Agent;
    this.agents = {
      request: new Agent({ ...connection.tls, keepAlive: true, maxSockets: options.maxSockets ?? 64 }),
      watch: new Agent({ ...connection.tls, keepAlive: false }),
    };
  }

  private async prepare(method: string, path: string, query: Query, headers: Record<string, string>, freshCredentials = false): Promise<RequestOptions> {
    const opts: { headers: Record<string, string> } = {
      headers: { Accept: 'application/json', ...headers, ...(await this.connection.headers(freshCredentials)) },
    };
    if (this.options.userAgent) opts.headers['User-Agent'] = this.options.userAgent;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const qs = search.toString();
    return {
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port,
      path: `${this.server.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`,
      method,
      headers: opts.headers,
    };
  }

  private transport() {
    return this.server.protocol === 'https:' ? https : http;
  }

  private async request<T>(method: string, path: string, query: Query = {}, body?: unknown, contentType = 'application/json'): Promise<T> {
    try {
      return await this.once<T>(method, path, query, body, contentType, false);
    } catch (error) {
      // A projected token rotates: after a 401 the credentials are read again, once.
      if (error instanceof ApiError && error.code === 401) return this.once<T>(method, path, query, body, contentType, true);
      throw error;
    }
  }

  private async once<T>(method: string, path: string, query: Query, body: unknown, contentType: string, freshCredentials: boolean): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = payload ? { 'Content-Type': contentType, 'Content-Length': String(payload.length) } : {};
    const opts = await this.prepare(method, path, query, headers, freshCredentials);
    const timeoutMs = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    opts.agent = this.agents.request;
    return await new Promise<T>((resolve, reject) => {
      const req = this.transport().request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          this.options.observe?.(method, code);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          if (code >= 200 && code < 300) resolve(parsed as T);
          else reject(toApiError(code, parsed, text));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', (error) => {
        this.options.observe?.(method, 'error');
        reject(error);
      });
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
    const body = await this.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>('GET', resourcePath(type, options.namespace), {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      continue: options.continue,
    });
    const result: ListResult<T> = { items: body.items ?? [], resourceVersion: body.metadata.resourceVersion };
    if (body.metadata.continue) result.continue = body.metadata.continue;
    return result;
  }

  watch<T extends KubeObject>(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    let finish!: (end: WatchEnd) => void;
    const ended = new Promise<WatchEnd>((resolve) => (finish = resolve));
    let req: ClientRequest | undefined;
    let stopped = false;
    let settled = false;
    const settle = (end: WatchEnd) => {
      if (settled) return;
      settled = true;
      if (idle) clearTimeout(idle);
      finish(end);
    };
    // Staleness watchdog: the server closes a watch at timeoutSeconds; a stream silent well past
    // that is a dead connection (kubernetes-client/javascript#596, #2432), so we drop it.
    const idleMs = (options.timeoutSeconds + 30) * 1000;
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => req?.destroy(new Error(`watch ${type.plural}: no data for ${idleMs} ms`)), idleMs);
      idle.unref();
    };
    const query: Query = {
      watch: 1,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    this.prepare('GET', resourcePath(type, options.namespace), query, {})
      .then((opts) => {
        if (stopped) return settle({ kind: 'stopped' });
        opts.agent = this.agents.watch;
        touch();
        req = this.transport().request(opts, (res) => {
          const code = res.statusCode ?? 0;
          this.options.observe?.('WATCH', code);
          if (code !== 200) {
            void errorOf(res, code).then((error) => settle({ kind: 'failed', error }));
            return;
          }
          res.socket?.setKeepAlive(true, 30_000);
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            touch();
            buffer += chunk;
            let newline = buffer.indexOf('\n');
            while (newline >= 0) {
              const line = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              newline = buffer.indexOf('\n');
              if (!line) continue;
              let event: { type: string; object: unknown };
              try {
                event = JSON.parse(line) as { type: string; object: unknown };
              } catch (error) {
                req?.destroy(new Error(`watch ${type.plural}: bad event: ${(error as Error).message}`));
                return;
              }
              if (event.type === 'ERROR') onEvent({ type: 'ERROR', status: event.object as ApiStatus });
              else onEvent({ type: event.type as 'ADDED', object: event.object as T });
            }
          });
          res.on('end', () => settle(stopped ? { kind: 'stopped' } : { kind: 'closed' }));
          res.on('error', (error) => settle(stopped ? { kind: 'stopped' } : { kind: 'failed', error }));
        });
        req.on('error', (error) => settle(stopped ? { kind: 'stopped' } : { kind: 'failed', error }));
        req.end();
      })
      .catch((error: Error) => settle({ kind: 'failed', error }));
    return {
      ended,
      stop: () => {
        stopped = true;
        req?.destroy();
        if (!req) settle({ kind: 'stopped' });
      },
    };
  }

  async apply<T extends KubeObject, B extends KubeObject = T>(
    type: ResourceType,
    object: B,
    options: { fieldManager: string; force: boolean; subresource?: 'status' },
  ): Promise<T> {
    const meta = object.metadata ?? {};
    return this.request<T>(
      'PATCH',
      resourcePath(type, meta.namespace, meta.name, options.subresource),
      { fieldManager: options.fieldManager, force: options.force },
      object,
      CONTENT_TYPE.apply,
    );
  }

  async create<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options: { fieldManager?: string } = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(type, object.metadata?.namespace), { fieldManager: options.fieldManager }, object);
  }

  async replace<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options: { fieldManager?: string } = {}): Promise<T> {
    const meta = object.metadata ?? {};
    return this.request<T>('PUT', resourcePath(type, meta.namespace, meta.name), { fieldManager: options.fieldManager }, object);
  }

  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options: { fieldManager?: string; subresource?: 'status' } = {},
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, namespace, name, options.subresource), { fieldManager: options.fieldManager }, body, CONTENT_TYPE[patchType]);
  }

  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
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

  /**
   * A GET whose body is a stream, such as pods/log with follow: resolves with the response once it
   * answered 2xx (else rejects with the ApiError); no request timeout, the caller ends it.
   */
  async stream(path: string, query: Query = {}): Promise<IncomingMessage> {
    const opts = await this.prepare('GET', path, query, { Accept: '*/*' });
    opts.agent = this.agents.watch;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.transport().request(opts, (res) => {
        const code = res.statusCode ?? 0;
        this.options.observe?.('GET', code);
        if (code >= 200 && code < 300) return resolve(res);
        res.on('error', reject);
        void errorOf(res, code).then(reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** GET /version: which Kubernetes the apiserver is (readable by every authenticated user). */
  async serverVersion(): Promise<ServerVersion> {
    return this.request<ServerVersion>('GET', '/version');
  }

  close(): void {
    this.agents.request.destroy();
    this.agents.watch.destroy();
  }
}

/** The ApiError of a response that is not a success, from its Status body (or its text). */
function errorOf(res: IncomingMessage, code: number): Promise<ApiError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      resolve(toApiError(code, parsed, text));
    });
  });
}

function toApiError(code: number, parsed: unknown, text: string): ApiError {
  const status = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ApiStatus;
  return new ApiError(status.code ?? code, status.reason ?? String(code), status.message ?? (text.slice(0, 500) || `HTTP ${code}`), status);
}
