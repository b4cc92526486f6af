import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateMemoryCgroup, memoryLevel, parseMountInfo, parseProcCgroup, parseStat, readContainerMemory, treeRss, type FileReader } from './memory-reader.js';

test('parseStat copes with spaces and parentheses in the command name', () => {
  const line = '4242 (my (odd) prog) S 100 4242 4242 0 -1 4194560 500 0 0 0 1 2 0 0 20 0 1 0 300 123456789 2048 18446744073709551615';
  assert.deepEqual(parseStat(line), { pid: 4242, state: 'S', ppid: 100, session: 4242, rssPages: 2048 });
});

test('treeRss sums descendants and session members, each once', () => {
  const entries = [
    { pid: 10, ppid: 1, session: 10, state: 'S', rssPages: 1 },
    { pid: 11, ppid: 10, session: 10, state: 'S', rssPages: 2 },
    { pid: 12, ppid: 11, session: 12, state: 'S', rssPages: 4 }, // own session, still a descendant
    { pid: 13, ppid: 1, session: 10, state: 'S', rssPages: 8 }, // daemonised, reparented, same session
    { pid: 20, ppid: 1, session: 20, state: 'S', rssPages: 16 },
  ];
  assert.deepEqual(
    treeRss(entries, [10, 20, 99], 4096),
    new Map([
      [10, 15 * 4096],
      [20, 16 * 4096],
      [99, 0],
    ]),
  );
});

const files = (tree: Record<string, string>): FileReader => ({ read: (f) => tree[f], exists: (f) => f in tree || Object.keys(tree).some((k) => k.startsWith(`${f}/`)) });

test("cgroup v1 on a hybrid host (this machine's layout): the memory controller path under its mount", () => {
  const cgroup = parseProcCgroup('9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n');
  const mounts = parseMountInfo('31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n');
  const tree = files({
    '/sys/fs/cgroup/memory/process_api/abc/memory.usage_in_bytes': '1000000\n',
    '/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes': '9223372036854771712\n',
    '/sys/fs/cgroup/memory/process_api/abc/memory.stat': 'total_inactive_file 200000\nhierarchical_memory_limit 4000000\n',
  });
  const location = locateMemoryCgroup(cgroup, mounts, tree.exists);
  assert.deepEqual(location, { version: 1, dir: '/sys/fs/cgroup/memory/process_api/abc', mountPoint: '/sys/fs/cgroup/memory' });
  // The own limit is "unlimited" but a parent's (hierarchical_memory_limit) applies.
  assert.deepEqual(readContainerMemory(location!, tree), { cgroup: 1, usageBytes: 1_000_000, workingSetBytes: 800_000, limitBytes: 4_000_000 });
});

test('cgroup v1 with no limit anywhere reports limitBytes undefined', () => {
  const tree = files({
    '/m/memory.usage_in_bytes': '5',
    '/m/memory.limit_in_bytes': '9223372036854771712',
    '/m/memory.stat': 'hierarchical_memory_limit 9223372036854771712\n',
  });
  assert.equal(readContainerMemory({ version: 1, dir: '/m', mountPoint: '/m' }, tree)?.limitBytes, undefined);
});

test('cgroup v2 in a container (cgroup namespace: path "/"), with a limit and with "max"', () => {
  const cgroup = parseProcCgroup('0::/\n');
  const mounts = parseMountInfo('30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n');
  const limited = files({ '/sys/fs/cgroup/memory.current': '300\n', '/sys/fs/cgroup/memory.max': '1000\n', '/sys/fs/cgroup/memory.stat': 'anon 100\ninactive_file 50\n' });
  const location = locateMemoryCgroup(cgroup, mounts, limited.exists);
  assert.deepEqual(location, { version: 2, dir: '/sys/fs/cgroup', mountPoint: '/sys/fs/cgroup' });
  assert.deepEqual(readContainerMemory(location!, limited), { cgroup: 2, usageBytes: 300, workingSetBytes: 250, limitBytes: 1000 });
  const unlimited = files({ '/sys/fs/cgroup/memory.current': '300\n', '/sys/fs/cgroup/memory.max': 'max\n', '/sys/fs/cgroup/memory.stat': '' });
  assert.equal(readContainerMemory(location!, unlimited)?.limitBytes, undefined);
});

test('cgroup v2 on a host: the tightest memory.max up to the mount point', () => {
  const tree = files({
    '/sys/fs/cgroup/a/b/memory.current': '10',
    '/sys/fs/cgroup/a/b/memory.max': 'max',
    '/sys/fs/cgroup/a/memory.max': '500',
    '/sys/fs/cgroup/a/b/memory.stat': '',
  });
  const location = locateMemoryCgroup(parseProcCgroup('0::/a/b\n'), parseMountInfo('30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n'), tree.exists);
  assert.equal(location?.dir, '/sys/fs/cgroup/a/b');
  assert.equal(readContainerMemory(location!, tree)?.limitBytes, 500);
});

test('no memory cgroup at all: undefined', () => {
  assert.equal(
    locateMemoryCgroup(parseProcCgroup('0::/\n'), parseMountInfo(''), () => false),
    undefined,
  );
});

test('memoryLevel thresholds', () => {
  assert.deepEqual([memoryLevel(84.9, 85, 95), memoryLevel(85, 85, 95), memoryLevel(95, 85, 95)], ['ok', 'warning', 'critical']);
});
