// The supervisor's own log: one JSON line per record in pino's shape (level, time, pid, hostname,
// name, msg plus fields), written by hand. pino itself costs ~9 MB of resident memory at import,
// a quarter of the Node floor, for a handful of lines per minute.
import { hostname } from 'node:os';

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVELS: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  fatal(msg: string, fields?: Fields): void;
}

export interface LoggerOptions {
  out?: NodeJS.WritableStream;
  level?: Level;
  name?: string;
  now?: () => number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.out ?? process.stdout;
  const min = LEVELS[options.level ?? 'info'];
  const now = options.now ?? Date.now;
  const head = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":${JSON.stringify(options.name ?? 'corepod')}`;
  let broken = false;
  out.on('error', () => {
    broken = true;
  });
  const write = (level: Level, msg: string, fields?: Fields) => {
    if (LEVELS[level] < min || broken) return;
    let line = `{"level":${LEVELS[level]},"time":${now()}${head}`;
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        // "pid" is the supervisor's own (pino's binding); a program's pid is logged as childPid.
        line += `,${JSON.stringify(key === 'pid' ? 'childPid' : key)}:${value instanceof Error ? JSON.stringify({ type: value.name, message: value.message }) : JSON.stringify(value)}`;
      }
    }
    try {
      out.write(`${line},"msg":${JSON.stringify(msg)}}\n`);
    } catch {
      broken = true;
    }
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    fatal: (msg, fields) => write('fatal', msg, fields),
  };
}

/** A logger that discards everything (tests, quiet commands). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
