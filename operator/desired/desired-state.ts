// Everything a CorePod should own, computed purely from the CorePod: the desired state the
// controller applies, plus the problems only visible across fields (port clashes).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { buildConfigMap, configHash, supervisorConfig } from './config-map.js';
import { buildDeployment } from './deployment.js';
import { planPorts, unusedVolumes, type SpecProblem } from './port-plan.js';
import { buildRole, buildRoleBinding, buildServiceAccount } from './rbac.js';
import { buildService } from './service.js';
import { buildPodDisruptionBudget } from './pod-disruption-budget.js';
import type { SidecarContract } from '../../contract/sidecar-contract.js';

export interface DesiredState {
  /** In apply order: config and identity before the workload that uses them. */
  objects: KubernetesObject[];
  /** The kinds this CorePod should not own (e.g. a Service once no port is declared). */
  absent: { apiVersion: string; kind: string; name: string }[];
  configHash: string;
  problems: SpecProblem[];
  /** What is likely unintended but does not stop the rollout (a volume no program mounts). */
  warnings: SpecProblem[];
}

export function desiredState(corePod: CorePodObject, sidecar: SidecarContract): DesiredState {
  const { ports, problems } = planPorts(corePod.spec);
  const config = supervisorConfig(corePod);
  const hash = configHash(corePod.spec);
  const service = buildService(corePod, ports);
  const objects: KubernetesObject[] = [
    buildConfigMap(corePod, config),
    buildServiceAccount(corePod),
    buildRole(corePod),
    buildRoleBinding(corePod),
    buildDeployment(corePod, sidecar, ports, hash),
  ];
  const budget = buildPodDisruptionBudget(corePod);
  if (service) objects.push(service);
  if (budget) objects.push(budget);
  const absent = [
    ...(service ? [] : [{ apiVersion: 'v1', kind: 'Service', name: corePod.metadata.name }]),
    ...(budget ? [] : [{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: corePod.metadata.name }]),
  ];
  return { objects, absent, configHash: hash, problems, warnings: unusedVolumes(corePod.spec) };
}
