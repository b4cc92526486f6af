// The fault injectors: each does one fault of the schedule against the real cluster and says what
// it hit. Kills go to host pids found from /proc (they work while the apiserver is down); the
// component restarts go through `cluster restart NAME`.
import { stringify } from 'yaml';
import { restartComponent, run, kubectl } from '../support/cluster-env.js';
import type { HttpKubeApi } from '../../kube/http-kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { choose, type Fault } from './schedule.js';
import { kill9, netnsOf, podProcesses, podTree } from './host.js';
import { manifest, type SoakCorePod } from './corepods.js';
import type { OperatorReplicas } from './operators.js';

export interface FaultContext {
  namespace: string;
  api: HttpKubeApi;
  corePods: readonly SoakCorePod[];
  operators: OperatorReplicas;
  /** Pods of each CorePod as last seen (name, uid), for the host-side faults. */
  podsOf(corePod: string): { name: string; uid: string }[];
  apiserverPort: number;
}

/** What an injection did: a sentence for the log, or that it found nothing to hit. */
export interface Injection {
  detail: string;
  hit: boolean;
}

/** A second, independent pick from the fault's own number. */
const subPick = (pick: number, n: number) => (pick * 7919 * n) % 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runningPod(ctx: FaultContext, pick: number): { corePod: string; pod: { name: string; uid: string }; tree: ReturnType<typeof podTree> } | undefined {
  const table = podProcesses();
  const candidates = ctx.corePods.flatMap((cp) =>
    ctx.podsOf(cp.name).flatMap((pod) => {
      const processes = table.get(pod.uid);
      const tree = processes ? podTree(processes) : undefined;
      return tree?.sidecarInit ? [{ corePod: cp.name, pod, tree }] : [];
    }),
  );
  return candidates.length ? choose(candidates, pick) : undefined;
}

export async function inject(ctx: FaultContext, fault: Fault): Promise<Injection> {
  switch (fault.kind) {
    case 'kill-program': {
      const target = runningPod(ctx, fault.pick);
      if (!target || target.tree.programs.length === 0) return { hit: false, detail: 'no running program' };
      const victim = choose(target.tree.programs, subPick(fault.pick, 1));
      kill9(victim.pid);
      return { hit: true, detail: `${target.pod.name}: kill -9 ${victim.comm} (host pid ${victim.pid}, pod pid ${victim.nsPid})` };
    }
    case 'kill-sidecar-init': {
      const target = runningPod(ctx, fault.pick);
      if (!target?.tree.sidecarInit) return { hit: false, detail: 'no running sidecar-init' };
      kill9(target.tree.sidecarInit.pid);
      return { hit: true, detail: `${target.pod.name}: kill -9 the sidecar-init (host pid ${target.tree.sidecarInit.pid})` };
    }
    case 'kill-operator-leader': {
      const identity = ctx.operators.killLeader();
      return identity ? { hit: true, detail: `kill -9 operator leader ${identity}` } : { hit: false, detail: 'no leader' };
    }
    case 'restart-apiserver':
      await restartComponent('kube-apiserver');
      return { hit: true, detail: 'kube-apiserver restarted' };
    case 'restart-etcd':
      await restartComponent('etcd');
      return { hit: true, detail: 'etcd restarted' };
    case 'restart-kubelet':
      await restartComponent('kubelet');
      return { hit: true, detail: 'kubelet restarted' };
    case 'partition-pod': {
      const target = runningPod(ctx, fault.pick);
      if (!target?.tree.sandbox) return { hit: false, detail: 'no pod sandbox' };
      const netns = netnsOf(target.tree.sandbox.pid);
      // The pod reaches the apiserver through the kubernetes Service (10.96.0.1:443), DNATed on the
      // node to the apiserver's port; both are dropped in the pod's own network namespace.
      const rules = [
        ['-d', '10.96.0.1/32', '-p', 'tcp', '--dport', '443', '-j', 'DROP'],
        ['-p', 'tcp', '--dport', String(ctx.apiserverPort), '-j', 'DROP'],
      ];
      const iptables = (op: '-I' | '-D', rule: string[]) => run('nsenter', [`--net=${netns}`, '--', 'iptables', '-w', op, 'OUTPUT', ...rule]);
      for (const rule of rules) await iptables('-I', rule);
      try {
        await sleep(fault.holdSeconds * 1000);
      } finally {
        for (const rule of rules) await iptables('-D', rule).catch(() => undefined);
      }
      return { hit: true, detail: `${target.pod.name}: cut off from the apiserver for ${fault.holdSeconds} s` };
    }
    case 'memory-squeeze': {
      const target = runningPod(ctx, fault.pick);
      if (!target) return { hit: false, detail: 'no running pod' };
      // A process in the pod's container that takes 16 MiB every 100 ms until the container's
      // memory limit bites (the kernel's OOM killer), or 20 s have passed.
      const eater = 'const a=[];setInterval(()=>a.push(Buffer.alloc(16<<20,1)),100);setTimeout(()=>process.exit(0),20000)';
      const r = await kubectl(['-n', ctx.namespace, 'exec', target.pod.name, '-c', 'app', '--', 'node', '-e', eater], { allowFailure: true, timeoutMs: 60_000 });
      return { hit: true, detail: `${target.pod.name}: memory eater ended with ${r.code}${r.code === 137 ? ' (OOM-killed)' : ''}` };
    }
    case 'spec-edits': {
      const cp = choose(ctx.corePods, fault.pick);
      const edits = 3 + Math.floor(subPick(fault.pick, 2) * 3);
      let done = 0;
      for (let i = 0; i < edits; i++) {
        const patch = { spec: { podMetadata: { annotations: { 'soak.corepod.io/edit': `${Date.now()}-${i}` } } } };
        try {
          await ctx.api.patch(RESOURCES.corePod, ctx.namespace, cp.name, 'merge', patch);
          done++;
        } catch {
          // the CorePod may be gone (deleted by an earlier fault) or the apiserver away
        }
        await sleep(150);
      }
      return { hit: done > 0, detail: `${cp.name}: ${done} of ${edits} spec edits 150 ms apart` };
    }
    case 'delete-recreate': {
      const cp = choose(ctx.corePods, fault.pick);
      await kubectl(['-n', ctx.namespace, 'delete', 'corepod', cp.name, '--wait=false', '--ignore-not-found'], { timeoutMs: 30_000 });
      const started = Date.now();
      for (;;) {
        const r = await kubectl(['-n', ctx.namespace, 'create', '-f', '-'], { input: stringify(manifest(ctx.namespace, cp)), allowFailure: true, timeoutMs: 30_000 });
        if (r.code === 0) break;
        if (Date.now() - started > 60_000) return { hit: true, detail: `${cp.name}: deleted; not recreated within 60 s: ${r.stderr.trim()}` };
        await sleep(200);
      }
      return { hit: true, detail: `${cp.name}: deleted and recreated after ${Date.now() - started} ms` };
    }
  }
}
