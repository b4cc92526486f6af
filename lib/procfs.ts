// What the process tests and the benchmarks read from /proc: the process table, process trees
// (and killing one), resident memory, CPU time. Linux only; nothing of the project.
import fs from 'node:fs';
import path from 'node:path';

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

/** Parses /proc/<pid>/stat (the command name may contain spaces and parentheses). */
export function parseStat(pid: number, text: string): ProcInfo {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]) };
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    return parseStat(pid, fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether the process runs a node binary. Not its comm: Node >= 24 names its main thread, and so
 * the process, "MainThread".
 */
export function isNode(pid: number): boolean {
  try {
    return path.basename(fs.readlinkSync(`/proc/${pid}/exe`)) === 'node';
  } catch {
    return false;
  }
}

/** The comm of a process, with node processes called node (see isNode); 'gone' once it exited. */
export function processName(pid: number): string {
  return isNode(pid) ? 'node' : (readProc(pid)?.comm ?? 'gone');
}

/** The process's pid in its innermost pid namespace (1 for a container's init), undefined if it is gone. */
export function namespacePid(pid: number): number | undefined {
  try {
    const line = /^NSpid:(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
  } catch {
    return undefined;
  }
}

export function processTable(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readProc(pid);
    if (info) table.set(pid, info);
  }
  return table;
}

/** Every descendant of root (root excluded), breadth first. */
export function descendants(root: number, table: Map<number, ProcInfo> = processTable()): number[] {
  const children = new Map<number, number[]>();
  for (const info of table.values()) {
    const list = children.get(info.ppid);
    if (list) list.push(info.pid);
    else children.set(info.ppid, [info.pid]);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs root and everything below it (snapshot first, so reparented orphans are found too). */
export function killTree(root: number): void {
  const pids = [root, ...descendants(root)];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes (VmRSS), undefined if the process is gone. */
export function rssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** The most resident memory the process has had, in bytes (VmHWM), undefined if it is gone. */
export function peakRssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

export interface MemoryBreakdown {
  rss: number;
  pss: number;
  anonymous: number;
  /** File-backed resident pages (the executable and libraries, shared with other processes). */
  file: number;
  /** Pages no other process maps (Private_Clean + Private_Dirty). */
  private: number;
}

/** /proc/<pid>/smaps_rollup in bytes. */
export function memoryBreakdown(pid: number): MemoryBreakdown | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    const rss = field('Rss');
    const anonymous = field('Anonymous');
    return { rss, pss: field('Pss'), anonymous, file: rss - anonymous - field('Shmem'), private: field('Private_Clean') + field('Private_Dirty') };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU time (user + system, seconds) a process has used so far, undefined if it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}
