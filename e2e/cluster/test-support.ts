// Shared by the cluster smoke tests: test images, namespaces, polling.
import { randomBytes } from 'node:crypto';
import { buildAndLoadImage, clusterDir, kubectl } from './cluster.js';

/** Debian's static busybox (sh, nc, httpd, sleep...), loaded into the node. */
export const BUSYBOX_IMAGE = 'localhost/corepod/busybox:1.35';
/** Debian bookworm minbase with curl and CA certificates, loaded into the node. */
export const CURL_IMAGE = 'localhost/corepod/curl:bookworm';

export async function loadBusyboxImage(): Promise<string> {
  await buildAndLoadImage({ tag: BUSYBOX_IMAGE, recipe: `${clusterDir}images/busybox/Recipe` });
  return BUSYBOX_IMAGE;
}

export async function loadCurlImage(): Promise<string> {
  await buildAndLoadImage({ tag: CURL_IMAGE, recipe: `${clusterDir}images/curl/Recipe` });
  return CURL_IMAGE;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates a namespace; the returned function deletes it (and everything in it). */
export async function createNamespace(prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = uniqueName(prefix);
  await kubectl(['create', 'namespace', name]);
  return {
    name,
    remove: async () => {
      await kubectl(['delete', 'namespace', name, '--wait=true', '--timeout=120s'], { allowFailure: true });
    },
  };
}

/** Polls `check` until it returns something other than undefined/false; fails after the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
