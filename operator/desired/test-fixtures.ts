// CorePods for tests: the DreamScape reference layout and seeded random valid specs.
import { validateCorePod, type CorePodSpecInput } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';

export function corePodFrom(spec: CorePodSpecInput, name = 'core-pod', namespace = 'shop'): CorePodObject {
  const result = validateCorePod({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name, namespace }, spec });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return {
    apiVersion: result.value.apiVersion,
    kind: result.value.kind,
    metadata: { name, namespace, uid: '6f1c1f9e-0000-4000-8000-000000000001', generation: 1 },
    spec: result.value.spec,
  };
}

export const dreamscapeSpec = (): CorePodSpecInput => ({
  image: 'dreamscape/core-pod:1.0.0',
  terminationGracePeriodSeconds: 45,
  programs: [
    {
      name: 'auth-service',
      command: ['node', 'dist/server.js'],
      workingDir: '/app/auth',
      priority: 10,
      env: [{ name: 'PORT', value: '3001' }],
      ports: [{ name: 'auth', containerPort: 3001 }],
      healthCheck: { httpGet: { path: '/health', port: 3001 } },
    },
    {
      name: 'user-service',
      command: ['node', 'dist/server.js'],
      workingDir: '/app/user',
      priority: 20,
      dependsOn: ['auth-service'],
      env: [{ name: 'PORT', value: '3002' }],
      ports: [{ name: 'user', containerPort: 3002 }],
      healthCheck: { httpGet: { path: '/health', port: 3002 } },
    },
    {
      name: 'nginx',
      command: ['nginx', '-g', 'daemon off;'],
      priority: 30,
      ports: [{ name: 'http', containerPort: 80 }],
      healthCheck: { httpGet: { path: '/health', port: 80 } },
    },
  ],
});

/** A small deterministic PRNG (mulberry32) so property tests replay. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random valid spec: 1-6 programs, distinct ports, an acyclic dependsOn (only on earlier programs). */
export function randomSpec(next: () => number): CorePodSpecInput {
  const count = 1 + Math.floor(next() * 6);
  const usedPorts = new Set<number>([8686]);
  const programs = Array.from({ length: count }, (_, i) => {
    const ports: { containerPort: number; name?: string }[] = [];
    for (let k = Math.floor(next() * 3); k > 0; k--) {
      let port = 1 + Math.floor(next() * 65_000);
      while (usedPorts.has(port)) port = 1 + Math.floor(next() * 65_000);
      usedPorts.add(port);
      ports.push(next() < 0.5 ? { containerPort: port } : { containerPort: port, name: `p${i}x${k}` });
    }
    const dependsOn = i > 0 && next() < 0.5 ? [`prog-${Math.floor(next() * i)}`] : [];
    return { name: `prog-${i}`, command: ['/bin/prog', String(i)], ports, dependsOn, priority: Math.floor(next() * 100) };
  });
  return { image: `registry.local/app:${Math.floor(next() * 100)}`, replicas: Math.floor(next() * 4), programs };
}
