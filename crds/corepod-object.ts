// A CorePod as it comes from the apiserver, after its spec passed the schema.
import type { CorePodSpec, CorePodStatus } from './corepod-schema.js';

export interface CorePodMetadata {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface CorePodObject {
  apiVersion: string;
  kind: string;
  metadata: CorePodMetadata;
  spec: CorePodSpec;
  status?: CorePodStatus;
}
