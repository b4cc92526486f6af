// The test images of the cluster smoke tests (namespaces and polling: e2e/support/cluster-env.ts).
import { buildAndLoadImage, clusterDir } from './cluster.js';

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
