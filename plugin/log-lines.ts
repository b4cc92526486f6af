// Picks one program's lines out of a pod's log: the sidecar-init writes each program line as
// {"time":<ms>,"program":"…","stream":"stdout"|"stderr","msg":"…"} (sidecar/logs/stdout-mirror.ts),
// beside its own records (which carry a "level"). Pure.
import type { LogStream } from '../sidecar/logs/stdout-mirror.js';

export interface ProgramLine {
  time: number;
  program: string;
  stream: LogStream;
  msg: string;
}

/** The program line in `text`, or undefined for anything else (supervisor records, other programs, non-JSON). */
export function programLine(text: string, program: string, stream: LogStream): ProgramLine | undefined {
  if (!text.startsWith('{') || !text.includes(`"program":${JSON.stringify(program)}`)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const line = value as Partial<ProgramLine> & { level?: unknown };
  if (line.level !== undefined || line.program !== program || line.stream !== stream || typeof line.msg !== 'string') return undefined;
  return line as ProgramLine;
}

/** Splits a byte stream into lines, keeping an unfinished last line for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }

  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}
