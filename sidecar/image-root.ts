// `corepod run --root DIR`: a directory stands in for the image the spec was written for, as if
// each of DIR's top-level entries were mounted over / (DIR/app over /app). The spec's paths into
// the image — workingDir, each command and exec health check element that is an absolute path,
// the log files — are taken from DIR when their first component is one of those entries; the
// others (/usr/sbin/nginx, /tmp, /dev/stdout) stay the machine's. Paths inside env values and in
// the programs' own config files are the programs' business and are not rewritten.
import fs from 'node:fs';
import path from 'node:path';
import type { CorePodSpec } from '../crds/corepod-schema.js';
import { UsageError } from '../lib/usage-error.js';

export interface ImageRoot {
  /** Absolute. */
  dir: string;
  /** Names of its top-level entries. */
  entries: ReadonlySet<string>;
}

/** The directory's entries now; a usage error when it is not a directory. */
export function readImageRoot(dir: string): ImageRoot {
  const absolute = path.resolve(dir);
  let entries: string[];
  try {
    entries = fs.readdirSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--root ${dir}: ${code === 'ENOTDIR' ? 'not a directory' : code === 'ENOENT' ? 'no such directory' : String(code ?? error)}`);
  }
  return { dir: absolute, entries: new Set(entries) };
}

/** Where an image path is under the root; anything else unchanged. */
export function underRoot(file: string, root: ImageRoot): string {
  if (!file.startsWith('/')) return file;
  const first = file.split('/')[1];
  return first !== undefined && root.entries.has(first) ? path.join(root.dir, file) : file;
}

export function specUnderRoot(spec: CorePodSpec, root: ImageRoot): CorePodSpec {
  const map = (file: string) => underRoot(file, root);
  return {
    ...spec,
    programs: spec.programs.map((program) => ({
      ...program,
      command: program.command.map(map),
      ...(program.workingDir !== undefined ? { workingDir: map(program.workingDir) } : {}),
      ...(program.healthCheck?.exec ? { healthCheck: { ...program.healthCheck, exec: { command: program.healthCheck.exec.command.map(map) } } } : {}),
      logs: {
        ...program.logs,
        ...(program.logs.stdoutFile !== undefined ? { stdoutFile: map(program.logs.stdoutFile) } : {}),
        ...(program.logs.stderrFile !== undefined ? { stderrFile: map(program.logs.stderrFile) } : {}),
      },
    })),
  };
}
