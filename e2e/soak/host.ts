// What the soak reads and does on the node itself, without the apiserver: the processes of each
// pod (by the pod uid in their cgroup path), signals, the pod's network namespace, the files of an
// emptyDir volume and the containers' log files under the cluster's state directory.
import fs from 'node:fs';
import path from 'node:path';
import { isNode, namespacePid } from '../../lib/procfs.js';
import type { ProcessSample } from './invariants.js';

export interface PodProcess extends ProcessSample {
  podUid: string;
  /** Its pid inside the pod's pid namespace. */
  nsPid: number | undefined;
  node: boolean;
}

function readStat(pid: number): { ppid: number; state: string; comm: string; startTime: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const rest = text.slice(close + 2).split(' ');
    return { comm: text.slice(text.indexOf('(') + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]), startTime: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

const POD_UID = /\/pod([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/|$)/;

/** Every process of the node's pods, by pod uid (from the memory cgroup's path). */
export function podProcesses(): Map<string, PodProcess[]> {
  const out = new Map<string, PodProcess[]>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let cgroup: string;
    try {
      cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    const line = cgroup.split('\n').find((l) => /^\d+:memory:/.test(l)) ?? cgroup.split('\n').find((l) => l.startsWith('0::'));
    const uid = line ? POD_UID.exec(line)?.[1] : undefined;
    if (!uid) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const list = out.get(uid) ?? [];
    list.push({ pid, ...stat, podUid: uid, nsPid: stat.state === 'Z' ? undefined : namespacePid(pid), node: stat.state !== 'Z' && isNode(pid) });
    out.set(uid, list);
  }
  return out;
}

/** Helpers the sidecar-init runs beside the programs, which are not programs. */
const HELPERS = new Set(['notify-socket', 'pipe-size']);

export interface PodTree {
  sandbox: PodProcess | undefined;
  /** The node process below the container's init (tini): the supervisor. */
  sidecarInit: PodProcess | undefined;
  /** The supervisor's children that are programs. */
  programs: PodProcess[];
}

export function podTree(processes: readonly PodProcess[]): PodTree {
  const sandbox = processes.find((p) => p.comm === 'pause');
  const init = processes.find((p) => p.nsPid === 1 && p !== sandbox && p.comm !== 'pause');
  const sidecarInit = init?.node ? init : processes.find((p) => p.node && p.ppid === init?.pid);
  const programs = sidecarInit ? processes.filter((p) => p.ppid === sidecarInit.pid && p.state !== 'Z' && !HELPERS.has(p.comm)) : [];
  return { sandbox, sidecarInit, programs };
}

export function kill9(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** The pod's network namespace, through its sandbox process. */
export const netnsOf = (sandboxPid: number): string => `/proc/${sandboxPid}/ns/net`;

/** Files of a pod's emptyDir volume as the kubelet keeps them. */
export function emptyDirPath(stateDir: string, podUid: string, volume: string): string {
  return path.join(stateDir, 'kubelet', 'pods', podUid, 'volumes', 'kubernetes.io~empty-dir', volume);
}

/**
 * The whole lines of a rotated log, oldest file first (FILE.N … FILE.1, FILE). The newest file is
 * read first and every inode checked again afterwards, so a rotation meanwhile makes it read again.
 */
export function readRotated(dir: string, file: string, backups: number): string[] | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const names = [file, ...Array.from({ length: backups }, (_, i) => `${file}.${i + 1}`)];
    const inodes = names.map((n) => inodeOf(path.join(dir, n)));
    if (inodes[0] === undefined) return undefined;
    const texts = names.map((n) => {
      try {
        return fs.readFileSync(path.join(dir, n), 'utf8');
      } catch {
        return '';
      }
    });
    const again = names.map((n) => inodeOf(path.join(dir, n)));
    if (inodes.every((ino, i) => ino === again[i])) {
      // RotatingFile splits a chunk at maxBytes, so a line may straddle two files: the files
      // are one stream, oldest first. Its first line may have begun in a file already deleted,
      // its last one may still be being written: both are left out.
      const lines = texts.reverse().join('').split('\n');
      return lines.slice(1, -1).filter((l) => l !== '');
    }
  }
  return undefined;
}

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Follows the containers' log files of a namespace (CRI format), handing each new line on once. */
export class ContainerLogs {
  private readonly offsets = new Map<string, number>();
  constructor(
    private readonly stateDir: string,
    private readonly namespace: string,
  ) {}

  /** New lines since the last call: [file, content] (the CRI timestamp and stream stripped). */
  read(): [string, string][] {
    const root = path.join(this.stateDir, 'pod-logs');
    const out: [string, string][] = [];
    let pods: string[];
    try {
      pods = fs.readdirSync(root).filter((d) => d.startsWith(`${this.namespace}_`));
    } catch {
      return out;
    }
    for (const pod of pods) {
      let containers: string[];
      try {
        containers = fs.readdirSync(path.join(root, pod));
      } catch {
        continue;
      }
      for (const container of containers) {
        let files: string[];
        try {
          files = fs.readdirSync(path.join(root, pod, container)).filter((f) => f.endsWith('.log'));
        } catch {
          continue;
        }
        for (const f of files) {
          const file = path.join(root, pod, container, f);
          let text: string;
          try {
            const size = fs.statSync(file).size;
            let from = this.offsets.get(file) ?? 0;
            if (size < from) from = 0;
            if (size === from) continue;
            const fd = fs.openSync(file, 'r');
            try {
              const buffer = Buffer.alloc(size - from);
              fs.readSync(fd, buffer, 0, buffer.length, from);
              text = buffer.toString('utf8');
            } finally {
              fs.closeSync(fd);
            }
            const end = text.lastIndexOf('\n') + 1;
            this.offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
            text = text.slice(0, end);
          } catch {
            continue;
          }
          for (const line of text.split('\n')) {
            if (line === '') continue;
            // <RFC 3339 time> <stdout|stderr> <F|P> <content>
            const m = /^\S+ (?:stdout|stderr) [FP] (.*)$/.exec(line);
            out.push([`${pod}/${container}`, m ? m[1]! : line]);
          }
        }
      }
    }
    return out;
  }
}
