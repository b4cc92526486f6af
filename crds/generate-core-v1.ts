// `make crds`: writes crds/core-v1-openapi.json, the core/v1 schemas the CorePod API reuses, cut
// from the OpenAPI of the Kubernetes the cluster is built from (in the Go module cache).
import { writeFileSync } from 'node:fs';
import { CORE_V1_FILE, coreV1Json } from './core-v1.js';
import { coreV1FromModuleCache } from './core-v1-source.js';

writeFileSync(CORE_V1_FILE, coreV1Json(await coreV1FromModuleCache()));
