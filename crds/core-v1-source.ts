// Kubernetes' own OpenAPI for core/v1, from the Go module cache: the version the local cluster is
// built from (e2e/cluster/k8s/1.37/go.mod).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { trimCoreV1, type CoreV1Document } from './core-v1.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const K8S_GO_MOD = `${repoRoot}e2e/cluster/k8s/1.37/go.mod`;

export async function coreV1FromModuleCache(): Promise<CoreV1Document> {
  const goMod = await readFile(K8S_GO_MOD, 'utf8');
  const version = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error(`${K8S_GO_MOD} does not require k8s.io/kubernetes`);
  // Downloads the module through the Go proxy if the cluster build has not (a fresh machine runs the unit tests first).
  const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], { cwd: dirname(K8S_GO_MOD), maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: Error & { stdout?: string }) => {
      throw new Error(`go mod download k8s.io/kubernetes@${version}: ${error.stdout || error.message}`);
    },
  );
  const source = `k8s.io/kubernetes@${version}/api/openapi-spec/v3/api__v1_openapi.json`;
  const file = `${(JSON.parse(stdout) as { Dir: string }).Dir}/api/openapi-spec/v3/api__v1_openapi.json`;
  const text = await readFile(file, 'utf8');
  return trimCoreV1(JSON.parse(text), source);
}
