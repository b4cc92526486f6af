// Kubernetes' own OpenAPI for core/v1, from the Go module cache: the version the local cluster is
// built from (e2e/cluster/k8s/1.37/go.mod).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { trimCoreV1, type CoreV1Document } from './core-v1.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const K8S_GO_MOD = `${repoRoot}e2e/cluster/k8s/1.37/go.mod`;

export async function coreV1FromModuleCache(): Promise<CoreV1Document> {
  const goMod = await readFile(K8S_GO_MOD, 'utf8');
  const version = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error(`${K8S_GO_MOD} does not require k8s.io/kubernetes`);
  const { stdout } = await promisify(execFile)('go', ['env', 'GOMODCACHE']);
  const source = `k8s.io/kubernetes@${version}/api/openapi-spec/v3/api__v1_openapi.json`;
  const file = `${stdout.trim()}/${source}`;
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new Error(`${file}: ${error.message} (the module is fetched by the cluster build, or \`go mod download k8s.io/kubernetes@${version}\` in e2e/cluster/k8s/1.37)`);
  });
  return trimCoreV1(JSON.parse(text), source);
}
