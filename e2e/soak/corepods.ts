// The CorePods the soak runs, and what each must show once the faults are over. All run the
// DreamScape image (Debian, sh, node): DreamScape itself, and four small ones whose programs
// crash-loop, eat memory, make orphans, and write numbered lines to a rotated file.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Expected } from './invariants.js';
import { repoRoot } from '../support/cluster-env.js';

type Json = Record<string, any>;

export interface SoakCorePod {
  name: string;
  spec: Json;
  expected: Expected;
}

/** The file the logger's program writes (in the emptyDir volume `soak-logs`), and its rotation. */
export const LOGGER = { name: 'logger', volume: 'soak-logs', mountPath: '/soak-logs', file: 'numbers.log', backups: 3, maxBytes: '16Ki' } as const;

/** Containers may be a Debian image's processes; each of these is one sh loop. */
const steady = { name: 'steady', command: ['sh', '-c', 'while :; do sleep 5; done'], startSeconds: 1 };

export function soakCorePods(): SoakCorePod[] {
  const dreamscape = parse(readFileSync(`${repoRoot}examples/dreamscape/corepod.yaml`, 'utf8')) as { spec: Json };
  const image = dreamscape.spec.image as string;
  const small = (programs: Json[], extra: Json = {}): Json => ({
    image,
    imagePullPolicy: 'IfNotPresent',
    terminationGracePeriodSeconds: 5,
    resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '384Mi' } },
    programs,
    ...extra,
  });
  return [
    { name: 'dreamscape', spec: dreamscape.spec, expected: { ready: '3/3', phase: 'Running' } },
    {
      // crasher exits 1 a second after each start, before its startSeconds: BACKOFF, retried
      // startRetries times, then FATAL; not critical, so the pod runs on, Degraded.
      name: 'crashloop',
      spec: small([steady, { name: 'crasher', command: ['sh', '-c', 'sleep 1; echo crashing >&2; exit 1'], startSeconds: 3, startRetries: 3 }]),
      expected: { ready: '1/2', phase: 'Degraded' },
    },
    {
      // hog grows to 160 MiB, over its 96 MiB limit: restarted, twice within the budget, then FATAL.
      name: 'hungry',
      spec: small(
        [
          steady,
          {
            name: 'hog',
            command: ['node', '-e', 'const a=[];const t=setInterval(()=>{a.push(Buffer.alloc(4<<20,1));if(a.length>=40)clearInterval(t)},100);setInterval(()=>{},1e9)'],
            startSeconds: 1,
            memory: { limit: '96Mi', action: 'restart' },
            restartBudget: { maxRestarts: 2, windowSeconds: 600 },
          },
        ],
        { memory: { warningPercent: 80, criticalPercent: 95, action: 'alert' } },
      ),
      expected: { ready: '1/2', phase: 'Degraded' },
    },
    {
      // Every second: a child in a new session and one in the program's own group, both orphaned
      // at once (their parent subshell exits) and outliving the loop's iteration; tini reaps them.
      name: 'orphans',
      spec: small([{ name: 'forker', command: ['sh', '-c', 'while :; do (setsid sleep 3 &); (sleep 2 &); sleep 1; done'], startSeconds: 1 }]),
      expected: { ready: '1/1', phase: 'Running' },
    },
    {
      // 200 numbered lines a second, `RUN N`, RUN = the start time in ns; rotated every ~4 s. (The
      // supervisor expands $(NAME) references: $(date …) and $((…)) name no variable and stay as written.)
      name: LOGGER.name,
      spec: small(
        [
          {
            name: 'numbers',
            command: ['sh', '-c', 'r=$(date +%s%N); n=0; while :; do i=0; while [ $i -lt 20 ]; do echo "$r $n"; n=$((n+1)); i=$((i+1)); done; sleep 0.1; done'],
            startSeconds: 1,
            logs: { mirror: false, stdoutFile: `${LOGGER.mountPath}/${LOGGER.file}`, maxBytes: LOGGER.maxBytes, backups: LOGGER.backups },
            volumeMounts: [{ name: LOGGER.volume, mountPath: LOGGER.mountPath }],
          },
        ],
        { volumes: [{ name: LOGGER.volume, emptyDir: {} }] },
      ),
      expected: { ready: '1/1', phase: 'Running' },
    },
  ];
}

export function manifest(namespace: string, cp: SoakCorePod): Json {
  return { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: cp.name, namespace }, spec: cp.spec };
}
