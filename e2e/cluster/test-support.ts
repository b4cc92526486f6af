// The test images and workloads of the cluster smoke tests (namespaces and polling: e2e/support/cluster-env.ts).
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

/**
 * In namespace ns: pod "web" (busybox httpd on 8080 serving `page`), pod "client" (idle), and
 * Service "web" (80 -> 8080); waits until both pods are Ready.
 */
export async function startWebAndClient(ns: string, image: string, page: string): Promise<void> {
  const pod = (name: string, labels: Record<string, string>, command: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name, image, imagePullPolicy: 'Never', command: ['/bin/sh', '-c', command] }],
    },
  });
  const objects = [
    pod('web', { app: 'web' }, `mkdir -p /www && echo "${page}" > /www/index.html && exec httpd -f -p 8080 -h /www`),
    pod('client', { app: 'client' }, 'trap "exit 0" TERM; while true; do sleep 1; done'),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  ];
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=120s'], { timeoutMs: 150_000 });
}
