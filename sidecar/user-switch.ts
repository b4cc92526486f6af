// Running a program as another user: uid, gid AND supplementary groups are switched before exec.
// Node's spawn can set uid/gid but clears the supplementary groups (setgroups(0)), so when
// util-linux setpriv is present the program is exec'd through
// `setpriv --reuid U --regid G --init-groups --`, which calls initgroups(3) like login does.
import fs from 'node:fs';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface ResolvedUser {
  /** The name from /etc/passwd, if the user is listed there. */
  name: string | undefined;
  uid: number;
  gid: number;
  home: string | undefined;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, , uid, gid, , home, shell] = line.split(':');
    if (!name || uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    entries.push({ name, uid: Number(uid), gid: Number(gid), home: home ?? '/', shell: shell ?? '' });
  }
  return entries;
}

/**
 * A user named by name or uid. A numeric uid that /etc/passwd does not list runs with gid = uid
 * and no supplementary groups.
 */
export function resolveUser(user: string, passwd: PasswdEntry[]): ResolvedUser | { error: string } {
  const byName = passwd.find((entry) => entry.name === user);
  if (byName) return { name: byName.name, uid: byName.uid, gid: byName.gid, home: byName.home };
  if (/^\d+$/.test(user)) {
    const uid = Number(user);
    const byUid = passwd.find((entry) => entry.uid === uid);
    if (byUid) return { name: byUid.name, uid, gid: byUid.gid, home: byUid.home };
    return { name: undefined, uid, gid: uid, home: undefined };
  }
  return { error: `no user named "${user}" in /etc/passwd` };
}

export type SwitchPlan =
  | { kind: 'none' }
  /** Exec through setpriv: prefix the command with these arguments (the first is setpriv's path). */
  | { kind: 'setpriv'; prefix: string[] }
  /** Node's own uid/gid switch: the supplementary groups are cleared, not initialised. */
  | { kind: 'spawn'; uid: number; gid: number; warning: string }
  | { kind: 'error'; error: string };

/** How to start a program as `user`, given who we are and whether setpriv is at hand. */
export function planSwitch(user: ResolvedUser, euid: number, setpriv: string | undefined): SwitchPlan {
  if (user.uid === euid && (euid !== 0 || user.gid === 0)) return { kind: 'none' };
  if (euid !== 0) {
    return { kind: 'error', error: `running as uid ${user.uid} needs the supervisor to run as root (it runs as uid ${euid})` };
  }
  if (setpriv) {
    const groups = user.name !== undefined ? ['--init-groups'] : ['--clear-groups'];
    return { kind: 'setpriv', prefix: [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups, '--'] };
  }
  return {
    kind: 'spawn',
    uid: user.uid,
    gid: user.gid,
    warning: 'setpriv (util-linux) not found: supplementary groups are cleared instead of initialised',
  };
}

/** The environment a switched user expects, as login sets it (supervisord changes only the uid and leaves HOME, USER and LOGNAME as they were). */
export function userEnv(user: ResolvedUser): Record<string, string> {
  const env: Record<string, string> = {};
  if (user.home) env.HOME = user.home;
  if (user.name) {
    env.USER = user.name;
    env.LOGNAME = user.name;
  }
  return env;
}

const SEARCH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

/** An executable by name: $<envVar>, then $PATH and the usual directories, then `extra` directories. */
export function findExecutable(names: string[], options: { envVar?: string; extraDirs?: string[]; env?: NodeJS.ProcessEnv } = {}): string | undefined {
  const env = options.env ?? process.env;
  const explicit = options.envVar ? env[options.envVar] : undefined;
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  const dirs = [...(options.extraDirs ?? []), ...(env.PATH ?? '').split(':').filter(Boolean), ...SEARCH];
  for (const name of names) for (const dir of dirs) if (isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function readPasswd(file = '/etc/passwd'): PasswdEntry[] {
  try {
    return parsePasswd(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}
