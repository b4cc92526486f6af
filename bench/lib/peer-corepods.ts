// The CorePods both operators get in bench/operator-bench.ts and in the check that they build the
// same objects (bench/peer-operator.cluster.test.ts).
import type { KubeObject } from '../../kube/kube-api.js';

export type CorePodDoc = KubeObject & { spec: Record<string, unknown>; status?: { observedGeneration?: number } };

export const BENCH_IMAGE = 'localhost/corepod/pause:3.10';

/** The benchmark's CorePod: two programs, one port. replicas 0: the Deployments are measured, not 1,000 pods on one node. */
export function benchCorePod(namespace: string, name: string): CorePodDoc {
  return {
    apiVersion: 'dreamscape.io/v1alpha1',
    kind: 'CorePod',
    metadata: { name, namespace },
    spec: {
      image: BENCH_IMAGE,
      replicas: 0,
      programs: [
        { name: 'web', command: ['/web'], ports: [{ containerPort: 8080 }] },
        { name: 'worker', command: ['/worker'], dependsOn: ['web'] },
      ],
    },
  };
}

/** A CorePod that reaches every builder: Service settings, PDB, env sources, volumes, non-root security, pass-through pod fields. */
export function richCorePod(namespace: string, name: string): CorePodDoc {
  return {
    apiVersion: 'dreamscape.io/v1alpha1',
    kind: 'CorePod',
    metadata: { name, namespace },
    spec: {
      image: BENCH_IMAGE,
      replicas: 0,
      terminationGracePeriodSeconds: 45,
      securityContext: { runAsUser: 1000, fsGroup: 2000 },
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      podMetadata: { labels: { team: 'shop' }, annotations: { 'example.com/owner': 'shop' } },
      service: { type: 'NodePort', externalTrafficPolicy: 'Local', annotations: { 'example.com/lb': 'yes' } },
      serviceAccount: { annotations: { 'example.com/role': 'reader' } },
      podDisruptionBudget: { minAvailable: 1 },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }],
      volumes: [
        { name: 'cache', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'spare', emptyDir: {} },
      ],
      programs: [
        {
          name: 'auth',
          command: ['/auth'],
          env: [
            { name: 'PORT', value: '3001' },
            { name: 'SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'auth-keys', key: 'signing', optional: true } } },
          ],
          envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings', optional: true } }],
          ports: [{ name: 'auth', containerPort: 3001 }],
          healthCheck: { httpGet: { path: '/health', port: 3001 } },
          volumeMounts: [{ name: 'cache', mountPath: '/var/cache/app' }],
        },
        {
          name: 'nginx',
          command: ['/nginx'],
          dependsOn: ['auth'],
          ports: [{ containerPort: 80 }, { containerPort: 5353, protocol: 'UDP' }],
          volumeMounts: [{ name: 'cache', mountPath: '/var/cache/nginx', readOnly: true }],
        },
      ],
    },
  };
}
