// supervisord.conf for a set of ProgramDefs (pure).
import type { ProgramDef } from './program.js';

/** A word for supervisord's command= (split with shlex; "%" is its interpolation character). */
export function supervisordWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  return /^[\w@+=:,./-]+$/.test(escaped) ? escaped : `'${escaped.replace(/'/g, `'"'"'`)}'`;
}

function environment(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}="${value.replace(/%/g, '%%').replace(/(["\\])/g, '\\$1')}"`)
    .join(',');
}

export interface SupervisordConfOptions {
  dir: string;
  socket: string;
  /** Running as root: say so (user=root), as supervisord otherwise warns about it. */
  root: boolean;
}

export function supervisordConf(programs: readonly ProgramDef[], options: SupervisordConfOptions): string {
  const lines = [
    '[supervisord]',
    'nodaemon=true',
    ...(options.root ? ['user=root'] : []),
    `logfile=${options.dir}/supervisord.log`,
    `pidfile=${options.dir}/supervisord.pid`,
    `childlogdir=${options.dir}`,
    '',
    '[unix_http_server]',
    `file=${options.socket}`,
    'chmod=0700',
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${options.socket}`,
  ];
  for (const p of programs) {
    lines.push(
      '',
      `[program:${p.name}]`,
      `command=${p.command.map(supervisordWord).join(' ')}`,
      'autostart=true',
      `autorestart=${p.autorestart ? 'true' : 'false'}`,
      `startsecs=${p.startSeconds}`,
      `startretries=${p.startRetries ?? 3}`,
      `priority=${p.priority ?? 999}`,
      `stopsignal=${p.stopSignal ?? 'TERM'}`,
      `stopwaitsecs=${p.stopWaitSeconds ?? 10}`,
      // CorePod always signals the whole process group.
      'stopasgroup=true',
      'killasgroup=true',
    );
    if (p.workingDir) lines.push(`directory=${p.workingDir}`);
    if (p.user) lines.push(`user=${p.user}`);
    if (p.env && Object.keys(p.env).length > 0) lines.push(`environment=${environment(p.env)}`);
    if (p.stdoutFile) {
      lines.push(`stdout_logfile=${p.stdoutFile}`, `stdout_logfile_maxbytes=${p.maxBytes ?? 50 * 1024 * 1024}`, `stdout_logfile_backups=${p.backups ?? 10}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
