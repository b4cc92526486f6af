// Memory figures from the kernel: the resident memory of each program's process tree (/proc), and
// the container's use against its limit (cgroup v2, or v1 on hybrid hosts), including "no limit".
import fs from 'node:fs';
import path from 'node:path';

export interface ProcEntry {
  pid: number;
  ppid: number;
  session: number;
  state: string;
  rssPages: number;
}

export interface ContainerMemory {
  cgroup: 1 | 2;
  /** Usage minus inactive file cache (the kubelet's working set). */
  workingSetBytes: number;
  usageBytes: number;
  /** undefined when no limit is set. */
  limitBytes: number | undefined;
}

export interface MemoryReader {
  /** Resident bytes of each root's process tree: its descendants and the members of its session. */
  processTrees(roots: readonly number[]): Map<number, number>;
  container(): ContainerMemory | undefined;
}

/** Parses /proc/<pid>/stat (the command name may contain spaces and parentheses). */
export function parseStat(text: string): ProcEntry | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) session(6) ... rss(24)
  const rss = Number(fields[21]);
  return { pid: Number(text.slice(0, open)), state: fields[0] ?? '?', ppid: Number(fields[1]), session: Number(fields[3]), rssPages: Number.isFinite(rss) ? rss : 0 };
}

/** Sums the tree of each root over a /proc snapshot. */
export function treeRss(entries: readonly ProcEntry[], roots: readonly number[], pageSize: number): Map<number, number> {
  const children = new Map<number, ProcEntry[]>();
  const bySession = new Map<number, ProcEntry[]>();
  const byPid = new Map<number, ProcEntry>();
  for (const entry of entries) {
    byPid.set(entry.pid, entry);
    const siblings = children.get(entry.ppid);
    if (siblings) siblings.push(entry);
    else children.set(entry.ppid, [entry]);
    const members = bySession.get(entry.session);
    if (members) members.push(entry);
    else bySession.set(entry.session, [entry]);
  }
  const result = new Map<number, number>();
  for (const root of roots) {
    const seen = new Set<number>();
    const queue: ProcEntry[] = [];
    const rootEntry = byPid.get(root);
    if (rootEntry) queue.push(rootEntry);
    // Programs are session leaders: daemonised descendants reparented elsewhere stay in the session.
    queue.push(...(bySession.get(root) ?? []));
    let pages = 0;
    while (queue.length > 0) {
      const entry = queue.pop()!;
      if (seen.has(entry.pid)) continue;
      seen.add(entry.pid);
      pages += entry.rssPages;
      queue.push(...(children.get(entry.pid) ?? []));
    }
    result.set(root, pages * pageSize);
  }
  return result;
}

// ---- cgroups ----

export interface CgroupLine {
  id: string;
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): CgroupLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, controllers, ...rest] = line.split(':');
      return { id: id ?? '', controllers: (controllers ?? '').split(',').filter(Boolean), path: rest.join(':') };
    });
}

export interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    mounts.push({ root: fields[3] ?? '/', mountPoint: fields[4] ?? '', fsType: fsType ?? '', superOptions: (superOptions ?? '').split(',') });
  }
  return mounts;
}

export type CgroupLocation = { version: 1 | 2; dir: string; mountPoint: string };

/** The memory cgroup directory of this process, for cgroup v1 (memory controller) or v2. */
export function locateMemoryCgroup(procCgroup: CgroupLine[], mounts: MountInfo[], exists: (p: string) => boolean): CgroupLocation | undefined {
  const v1Line = procCgroup.find((line) => line.controllers.includes('memory'));
  const v1Mount = mounts.find((mount) => mount.fsType === 'cgroup' && mount.superOptions.includes('memory'));
  if (v1Line && v1Mount) return { version: 1, dir: within(v1Mount, v1Line.path, exists), mountPoint: v1Mount.mountPoint };
  const v2Line = procCgroup.find((line) => line.id === '0' && line.controllers.length === 0);
  const v2Mount = mounts.find((mount) => mount.fsType === 'cgroup2');
  if (v2Line && v2Mount) {
    const dir = within(v2Mount, v2Line.path, exists);
    if (exists(path.join(dir, 'memory.current'))) return { version: 2, dir, mountPoint: v2Mount.mountPoint };
  }
  return undefined;
}

/** The cgroup path seen through the mount (whose root may be a sub-tree, as in a cgroup namespace). */
function within(mount: MountInfo, cgroupPath: string, exists: (p: string) => boolean): string {
  let relative = cgroupPath;
  if (mount.root !== '/' && (relative === mount.root || relative.startsWith(`${mount.root}/`))) relative = relative.slice(mount.root.length);
  const dir = path.join(mount.mountPoint, relative);
  return exists(dir) ? dir : mount.mountPoint;
}

/** cgroup v1 reports "no limit" as a huge number near 2^63. */
const V1_UNLIMITED = 2 ** 60;

export function parseKeyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

export interface FileReader {
  read(file: string): string | undefined;
  exists(file: string): boolean;
}

export function readContainerMemory(location: CgroupLocation, files: FileReader): ContainerMemory | undefined {
  if (location.version === 1) {
    const usage = Number(files.read(path.join(location.dir, 'memory.usage_in_bytes')));
    if (!Number.isFinite(usage)) return undefined;
    const stat = parseKeyValues(files.read(path.join(location.dir, 'memory.stat')) ?? '');
    let limit = Number(files.read(path.join(location.dir, 'memory.limit_in_bytes')));
    const hierarchical = stat.get('hierarchical_memory_limit');
    if (hierarchical !== undefined && (!Number.isFinite(limit) || hierarchical < limit)) limit = hierarchical;
    const inactive = stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0;
    return { cgroup: 1, usageBytes: usage, workingSetBytes: Math.max(0, usage - inactive), limitBytes: Number.isFinite(limit) && limit < V1_UNLIMITED ? limit : undefined };
  }
  const usage = Number(files.read(path.join(location.dir, 'memory.current')));
  if (!Number.isFinite(usage)) return undefined;
  const stat = parseKeyValues(files.read(path.join(location.dir, 'memory.stat')) ?? '');
  // The tightest memory.max from this cgroup up to the mount point.
  let limit: number | undefined;
  for (let dir = location.dir; ; dir = path.dirname(dir)) {
    const max = files.read(path.join(dir, 'memory.max'))?.trim();
    if (max !== undefined && max !== 'max' && Number.isFinite(Number(max))) limit = limit === undefined ? Number(max) : Math.min(limit, Number(max));
    if (dir === location.mountPoint || dir === '/' || !dir.startsWith(location.mountPoint)) break;
  }
  const inactive = stat.get('inactive_file') ?? 0;
  return { cgroup: 2, usageBytes: usage, workingSetBytes: Math.max(0, usage - inactive), limitBytes: limit };
}

export type MemoryLevel = 'ok' | 'warning' | 'critical';

export function memoryLevel(percent: number, warningPercent: number, criticalPercent: number): MemoryLevel {
  if (percent >= criticalPercent) return 'critical';
  if (percent >= warningPercent) return 'warning';
  return 'ok';
}

// ---- the real reader ----

const realFiles: FileReader = {
  read(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (file) => fs.existsSync(file),
};

function pageSize(): number {
  // The first mapping of smaps names the kernel page size; 4 KiB on x86-64.
  const text = realFiles.read('/proc/self/smaps')?.slice(0, 4096) ?? '';
  const match = /KernelPageSize:\s+(\d+) kB/.exec(text);
  return match ? Number(match[1]) * 1024 : 4096;
}

export function createProcMemoryReader(procRoot = '/proc'): MemoryReader {
  const page = pageSize();
  let location: CgroupLocation | undefined | null = null;
  return {
    processTrees(roots) {
      if (roots.length === 0) return new Map();
      const entries: ProcEntry[] = [];
      for (const name of fs.readdirSync(procRoot)) {
        const code = name.charCodeAt(0);
        if (code < 48 || code > 57) continue;
        const text = realFiles.read(`${procRoot}/${name}/stat`);
        const entry = text ? parseStat(text) : undefined;
        if (entry) entries.push(entry);
      }
      return treeRss(entries, roots, page);
    },
    container() {
      if (location === null) {
        location = locateMemoryCgroup(
          parseProcCgroup(realFiles.read(`${procRoot}/self/cgroup`) ?? ''),
          parseMountInfo(realFiles.read(`${procRoot}/self/mountinfo`) ?? ''),
          realFiles.exists,
        );
      }
      return location ? readContainerMemory(location, realFiles) : undefined;
    },
  };
}
