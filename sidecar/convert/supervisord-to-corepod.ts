// supervisord.conf → CorePod: pure conversion (file access goes through ConfigSource). Every
// option is either mapped or named in a warning; the result is checked with the CorePod schema.
import path from 'node:path';
import { API_VERSION, KIND, STOP_SIGNALS, validateCorePod, type CorePodSpecInput, type StopSignal } from '../../crds/corepod-schema.js';
import { IniError, parseIni, type IniOption, type IniSection } from './ini.js';
import { joinReferences } from '../expand-references.js';
import { FormatError, expandPercent, expandPercentDeferring, type Expansions } from './python-format.js';
import { ShlexError, keyValuePairs, shellSplit } from './shlex.js';

export interface ConfigSource {
  /** Text of a file; throws when it cannot be read. */
  read(file: string): string;
  /** Absolute paths matching a glob pattern (absolute), sorted. */
  glob(pattern: string): string[];
}

export interface ConvertOptions {
  /** metadata.name; by default derived from the file name. */
  name?: string;
  /** spec.image; a placeholder (with a warning) when absent. */
  image?: string;
  /** Environment for %(ENV_X)s; process.env in the command. */
  env?: Record<string, string | undefined>;
  /** Value of %(host_node_name)s. */
  hostname?: string;
}

export interface ConvertResult {
  /** The CorePod as written (schema input form, defaults left out). */
  document: { apiVersion: string; kind: string; metadata: { name: string }; spec: CorePodSpecInput };
  warnings: string[];
}

/** Input that cannot be converted (exit 2); the message names the file, line or section. */
export class ConvertError extends Error {}

export const PLACEHOLDER_IMAGE = 'registry.example/replace-me:latest';

type ProgramInput = CorePodSpecInput['programs'][number];
type LogsInput = NonNullable<ProgramInput['logs']>;

const TRUE = ['yes', 'true', 'on', '1'];
const FALSE = ['no', 'false', 'off', '0'];
const SIGNAL_NUMBERS: Record<number, StopSignal> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 9: 'KILL', 10: 'USR1', 12: 'USR2', 15: 'TERM' };
const STDOUT_PATHS = ['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1'];
const STDERR_PATHS = ['/dev/stderr', '/dev/fd/2', '/proc/self/fd/2'];
const DEFAULT_GRACE_SECONDS = 30;

/** Messages for [supervisord] options that have no CorePod field. */
const SUPERVISORD_OPTIONS: Record<string, string> = {
  nodaemon: 'corepod always runs in the foreground; ignored',
  user: "corepod runs as the container's user (each program may switch with user:); ignored",
  logfile: "corepod logs JSON lines to the container's stdout; ignored",
  logfile_maxbytes: "corepod logs JSON lines to the container's stdout; ignored",
  logfile_backups: "corepod logs JSON lines to the container's stdout; ignored",
  loglevel: "corepod logs JSON lines to the container's stdout; ignored",
  pidfile: 'no pid file; ignored',
  childlogdir: 'AUTO child log files are not kept (output goes to the JSON mirror on stdout); ignored',
  umask: 'not supported; ignored',
  minfds: 'not supported (set limits on the container); ignored',
  minprocs: 'not supported (set limits on the container); ignored',
  identifier: 'not supported; ignored',
  directory: 'corepod does not change its own directory (each program has workingDir); ignored',
  nocleanup: 'not supported; ignored',
  strip_ansi: 'not supported (output is kept as written); ignored',
  silent: 'not supported; ignored',
};

const PROGRAM_UNSUPPORTED: Record<string, string> = {
  umask: 'not supported; ignored',
  numprocs_start: 'not supported (one process per program); ignored',
  stdout_capture_maxbytes: 'process communication events are not supported; ignored',
  stderr_capture_maxbytes: 'process communication events are not supported; ignored',
  stdout_events_enabled: 'log events are not supported (output goes to the JSON mirror); ignored',
  stderr_events_enabled: 'log events are not supported (output goes to the JSON mirror); ignored',
  serverurl: 'no XML-RPC server (programs can use the corepod CLI); ignored',
};

function show(value: string): string {
  const flat = value.replace(/\n/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

function where(option: IniOption): string {
  return `${option.file}:${option.line}`;
}

/** A CorePod quantity for a byte count: the largest exact binary unit. */
export function bytesToQuantity(bytes: number): number | string {
  for (const [unit, factor] of [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes > 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return bytes;
}

/** A DNS-label program name for a supervisord name (Auth_Service → auth-service). */
export function programName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

class Converter {
  readonly warnings: string[] = [];
  private readonly sections = new Map<string, IniSection>();
  private readonly baseExpansions: Expansions = {};

  constructor(
    private readonly file: string,
    private readonly source: ConfigSource,
    private readonly options: ConvertOptions,
  ) {}

  warn(section: string, option: IniOption | undefined, message: string): void {
    this.warnings.push(option ? `[${section}] ${option.key}=${show(option.value)}: ${message}` : `[${section}]: ${message}`);
  }

  run(): ConvertResult {
    this.readAll();
    const env = this.options.env ?? {};
    for (const [key, value] of Object.entries(env)) if (value !== undefined) this.baseExpansions[`ENV_${key}`] = value;
    this.baseExpansions.host_node_name = this.options.hostname ?? 'localhost';
    const globalEnv = this.supervisordSection();
    const groups = this.groups();
    const programs: ProgramInput[] = [];
    const names = new Map<string, string>();
    for (const section of this.sections.values()) {
      const [kind, ...rest] = section.name.split(':');
      const label = rest.join(':');
      switch (kind) {
        case 'program': {
          const program = this.program(section, label, groups.get(label) ?? label, globalEnv);
          const clash = names.get(program.name);
          if (clash !== undefined) throw new ConvertError(`[program:${label}] and [program:${clash}] both become the CorePod program "${program.name}"`);
          names.set(program.name, label);
          programs.push(program);
          break;
        }
        case 'supervisord':
        case 'include':
        case 'group':
          break;
        case 'unix_http_server':
          for (const option of section.options.values()) {
            this.warn(section.name, option, "corepod's control socket lives in COREPOD_RUN_DIR with mode 0700; ignored");
          }
          break;
        case 'inet_http_server':
          this.warn(section.name, undefined, 'no TCP control server (the corepod CLI uses a unix socket; kubelet probes use spec.healthPort); ignored');
          break;
        case 'supervisorctl':
          this.warn(section.name, undefined, 'use the corepod CLI (status, start, stop, restart, signal, tail); ignored');
          break;
        case 'rpcinterface':
          this.warn(section.name, undefined, 'no XML-RPC interface (the corepod CLI talks to a unix socket); ignored');
          break;
        case 'eventlistener':
          this.warn(
            section.name,
            undefined,
            'event listeners are not supported: CorePod raises Kubernetes Events itself and has healthCheck, memory and critical for what listeners usually do; not converted',
          );
          break;
        case 'fcgi-program':
          this.warn(section.name, undefined, 'FastCGI programs (a shared socket) are not supported; not converted');
          break;
        case 'ctlplugin':
          this.warn(section.name, undefined, 'supervisorctl plugins are not supported; ignored');
          break;
        default:
          if (section.name !== 'DEFAULT') this.warn(section.name, undefined, 'unknown section; ignored');
      }
    }
    if (programs.length === 0) throw new ConvertError(`${this.file}: no [program:x] section to convert`);

    const image = this.options.image ?? PLACEHOLDER_IMAGE;
    if (this.options.image === undefined) this.warnings.push(`no --image given: spec.image is ${PLACEHOLDER_IMAGE}; replace it`);
    const spec: CorePodSpecInput = { image, programs };
    // supervisord stops programs one after another, each within its stopwaitsecs.
    const stopTotal = programs.reduce((sum, p) => sum + (p.stopWaitSeconds ?? 10), 0);
    if (stopTotal > DEFAULT_GRACE_SECONDS) spec.terminationGracePeriodSeconds = Math.min(3600, stopTotal);
    const name = this.options.name ?? (programName(path.basename(this.file).replace(/\.[^.]*$/, '')) || 'corepod');
    const document = { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec };
    const validated = validateCorePod(document);
    if (!validated.ok) {
      throw new ConvertError(`the converted CorePod is not valid:\n${validated.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    }
    return { document, warnings: this.warnings };
  }

  private readAll(): void {
    parseIni(this.source.read(this.file), this.file, this.sections);
    this.expandHere(this.file);
    const include = this.sections.get('include');
    if (!include) return;
    const files = include.options.get('files');
    if (!files) throw new ConvertError(`${include.file}:${include.line}: [include] has no files= option`);
    const expansions = { ...this.envExpansions(), here: path.dirname(this.file), host_node_name: this.options.hostname ?? 'localhost' };
    const patterns = this.expand(files, expansions, 'include').split(/\s+/).filter(Boolean);
    const base = path.dirname(path.resolve(this.file));
    for (const pattern of patterns) {
      const absolute = path.resolve(base, pattern);
      const matches = this.source.glob(absolute);
      if (matches.length === 0) this.warnings.push(`[include] files: no file matches "${absolute}"`);
      for (const match of matches) {
        const includeFiles = include.options.get('files');
        parseIni(this.source.read(match), match, this.sections);
        if (include.options.get('files') !== includeFiles) {
          this.warnings.push(`${match}: a nested [include] is not processed (as in supervisord)`);
          if (includeFiles) include.options.set('files', includeFiles);
        }
        this.expandHere(match);
      }
    }
  }

  /** supervisord replaces %(here)s by each file's directory when it reads the file. */
  private expandHere(file: string): void {
    const here = path.dirname(path.resolve(file));
    for (const section of this.sections.values()) {
      for (const option of section.options.values()) {
        if (option.file !== file) continue;
        if (option.value.includes('%(here)s')) {
          this.warnings.push(`[${section.name}] ${option.key}: %(here)s expanded at conversion time to "${here}"`);
          option.value = option.value.replaceAll('%(here)s', here);
        }
      }
    }
  }

  private envExpansions(): Expansions {
    const out: Expansions = {};
    for (const [key, value] of Object.entries(this.options.env ?? {})) if (value !== undefined) out[`ENV_${key}`] = value;
    return out;
  }

  private expand(option: IniOption, expansions: Expansions, section: string): string {
    try {
      const value = expandPercent(option.value, expansions);
      for (const match of option.value.matchAll(/%\((ENV_[^)]*|host_node_name)\)/g)) {
        this.warnings.push(`[${section}] ${option.key}: %(${match[1]})s expanded at conversion time to "${expansions[match[1]!]}"`);
      }
      return value;
    } catch (error) {
      if (error instanceof FormatError) throw new ConvertError(`${where(option)}: [${section}] ${option.key}=${show(option.value)}: ${error.message}`);
      throw error;
    }
  }

  /** [supervisord]: its environment applies to every program; the rest has no equivalent. */
  private supervisordSection(): [string, string][] {
    const section = this.sections.get('supervisord');
    if (!section) return [];
    let env: [string, string][] = [];
    for (const option of section.options.values()) {
      if (option.key === 'environment') {
        const environment = this.environment(option, { ...this.baseExpansions, here: path.dirname(path.resolve(section.file)) }, section.name);
        env = environment.variables;
        Object.assign(this.baseExpansions, environment.now);
      } else {
        this.warn(section.name, option, SUPERVISORD_OPTIONS[option.key] ?? 'unknown option; ignored');
      }
    }
    return env;
  }

  /**
   * environment=: the CorePod variables (see deferred), and the values supervisord would give them
   * here and now, as the ENV_X expansions of the options expanded at conversion time.
   */
  private environment(option: IniOption, expansions: Expansions, section: string): { variables: [string, string][]; now: Expansions } {
    const { text, finish } = this.deferred(option, expansions, section);
    let variables: [string, string][];
    try {
      const pairs = keyValuePairs(text);
      for (const token of pairs.skipped) this.warn(section, option, `"${token}" stands where a "," belongs and is skipped, as supervisord does (quote values holding spaces)`);
      variables = pairs.map(([key, value]) => [key, finish(value)]);
    } catch (error) {
      if (error instanceof ShlexError) throw new ConvertError(`${where(option)}: [${section}] ${option.key}=${show(option.value)}: ${error.message}`);
      throw error;
    }
    const now: Expansions = {};
    try {
      for (const [key, value] of keyValuePairs(expandPercent(option.value, expansions))) now[`ENV_${key}`] = value;
    } catch {
      // A variable not defined here cannot be used by the options expanded at conversion time
      // (they then fail naming it); the CorePod variables above do not need it.
    }
    return { variables, now };
  }

  /**
   * An option the sidecar-init expands again when the program starts (command=, environment=):
   * each %(ENV_X)s becomes $(X), resolved then from the program's environment as supervisord
   * resolved it from its own; the other %(…)s are expanded now. `text` is to be split as
   * supervisord splits the option, and `finish` turns each piece into its CorePod form, with the
   * literal `$` escaped where the sidecar-init would take it for a reference.
   */
  private deferred(option: IniOption, expansions: Expansions, section: string): { text: string; finish: (piece: string) => string } {
    let parts: (string | { reference: string })[];
    try {
      parts = expandPercentDeferring(option.value, expansions, (name) => name.startsWith('ENV_'));
    } catch (error) {
      if (error instanceof FormatError) throw new ConvertError(`${where(option)}: [${section}] ${option.key}=${show(option.value)}: ${error.message}`);
      throw error;
    }
    if (option.value.includes('%(host_node_name)')) {
      this.warnings.push(`[${section}] ${option.key}: %(host_node_name)s expanded at conversion time to "${expansions.host_node_name}"`);
    }
    const within = option.key === 'command' ? ', within one argument (supervisord split the value into words)' : '';
    for (const name of new Set(parts.flatMap((part) => (typeof part === 'string' ? [] : [part.reference.slice('ENV_'.length)])))) {
      this.warnings.push(`[${section}] ${option.key}: %(ENV_${name})s becomes $(${name}), which the sidecar-init expands from the program's environment when it starts${within}`);
    }
    // Each reference travels through the splitting as a word-character marker the text does not hold.
    let marker = 'CorePodRef';
    while (parts.some((part) => typeof part === 'string' && part.includes(marker))) marker += '_';
    const text = parts.map((part, i) => (typeof part === 'string' ? part : `${marker}${i}x`)).join('');
    const markers = new RegExp(`${marker}(\\d+)x`, 'g');
    const finish = (piece: string): string => {
      const out: (string | { reference: string })[] = [];
      let last = 0;
      for (const match of piece.matchAll(markers)) {
        out.push(piece.slice(last, match.index), { reference: (parts[Number(match[1])] as { reference: string }).reference.slice('ENV_'.length) });
        last = match.index + match[0].length;
      }
      out.push(piece.slice(last));
      return joinReferences(out);
    };
    return { text, finish };
  }

  /** Program → group name, from the [group:x] sections (which have no CorePod equivalent). */
  private groups(): Map<string, string> {
    const groups = new Map<string, string>();
    for (const section of this.sections.values()) {
      if (!section.name.startsWith('group:')) continue;
      const group = section.name.slice('group:'.length);
      const programs = section.options.get('programs');
      if (!programs) throw new ConvertError(`${section.file}:${section.line}: [${section.name}] has no programs= option`);
      const members = programs.value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      for (const member of members) {
        if (!this.sections.has(`program:${member}`)) throw new ConvertError(`${where(programs)}: [${section.name}] names unknown program ${member}`);
        groups.set(member, group);
      }
      for (const option of section.options.values()) {
        if (option.key === 'programs') this.warn(section.name, option, `groups are not supported; ${members.join(', ')} are converted as separate programs`);
        else if (option.key === 'priority') this.warn(section.name, option, 'group priorities are not supported; each program keeps its own priority');
        else this.warn(section.name, option, 'unknown option; ignored');
      }
    }
    return groups;
  }

  private program(section: IniSection, label: string, group: string, globalEnv: [string, string][]): ProgramInput {
    if (/[ :/]/.test(label) || label.trim() === '') throw new ConvertError(`${section.file}:${section.line}: [${section.name}]: invalid program name`);
    const sectionName = section.name;
    const used = new Set<string>();
    const defaults = this.sections.get('DEFAULT');
    const raw = (key: string): IniOption | undefined => {
      const option = section.options.get(key) ?? defaults?.options.get(key);
      if (option) used.add(key);
      return option;
    };
    const fail = (option: IniOption, message: string): never => {
      throw new ConvertError(`${where(option)}: [${sectionName}] ${option.key}=${show(option.value)}: ${message}`);
    };
    const numprocsOption = raw('numprocs');
    const numprocs = numprocsOption ? this.integer(numprocsOption, fail) : 1;
    const processNumStart = raw('numprocs_start');
    const expansions: Expansions = {
      ...this.baseExpansions,
      here: path.dirname(path.resolve(section.file)),
      program_name: label,
      group_name: group,
      process_num: processNumStart ? this.integer(processNumStart, fail) : 0,
      numprocs,
    };
    const text = (key: string): { option: IniOption; value: string } | undefined => {
      const option = raw(key);
      return option ? { option, value: this.expand(option, expansions, sectionName).trim() } : undefined;
    };

    const name = programName(label);
    if (name === '') throw new ConvertError(`${section.file}:${section.line}: [${sectionName}]: no usable program name`);
    if (name !== label) this.warn(sectionName, undefined, `renamed "${name}" (CorePod program names are DNS labels)`);

    // environment first: its values extend the expansions of the other options.
    const env = new Map(globalEnv);
    const environment = raw('environment');
    if (environment) {
      const { variables, now } = this.environment(environment, expansions, sectionName);
      for (const [key, value] of variables) env.set(key, value);
      Object.assign(expansions, now);
    }

    const commandOption = raw('command');
    if (!commandOption) throw new ConvertError(`${section.file}:${section.line}: [${sectionName}] has no command= option`);
    const command = this.deferred(commandOption, expansions, sectionName);
    let argv: string[];
    try {
      argv = shellSplit(command.text.trim()).map(command.finish);
    } catch (error) {
      return fail(commandOption, `cannot split the command: ${(error as Error).message}`);
    }
    if (argv.length === 0) fail(commandOption, 'the command is empty');

    const program: ProgramInput = { name, command: argv };
    const workingDir = text('directory');
    if (workingDir) program.workingDir = this.absolute(workingDir.value, workingDir.option, expansions.here as string, sectionName);
    const user = text('user');
    if (user) program.user = user.value;
    if (env.size > 0) program.env = [...env].map(([key, value]) => ({ name: key, value }));

    const autostart = text('autostart');
    if (autostart) program.autostart = this.boolean(autostart.option, autostart.value, fail);
    const autorestart = text('autorestart');
    const restartValue = autorestart?.value.toLowerCase() ?? 'unexpected';
    if (TRUE.includes(restartValue)) program.autorestart = true;
    else if (FALSE.includes(restartValue)) program.autorestart = false;
    else if (restartValue === 'unexpected') program.autorestart = 'unexpected';
    else fail(autorestart!.option, 'expected true, false or unexpected');
    const exitcodes = text('exitcodes');
    if (exitcodes) {
      program.exitCodes = (exitcodes.value === '' ? [] : exitcodes.value.split(',')).map((code) => {
        const number = Number(code.trim());
        if (!/^\s*\d+\s*$/.test(code) || number > 255) fail(exitcodes.option, `"${code}" is not an exit code (0-255)`);
        return number;
      });
    }
    const priority = text('priority');
    if (priority) {
      const value = this.integer(priority.option, fail, priority.value);
      program.priority = Math.min(100_000, Math.max(0, value));
      if (program.priority !== value) this.warn(sectionName, priority.option, `CorePod priorities range from 0 to 100000; ${program.priority} used`);
    }
    const startsecs = text('startsecs');
    if (startsecs) program.startSeconds = this.integer(startsecs.option, fail, startsecs.value);
    const startretries = text('startretries');
    if (startretries) program.startRetries = this.integer(startretries.option, fail, startretries.value);
    const stopsignal = text('stopsignal');
    if (stopsignal) {
      const signal = this.signal(stopsignal.value);
      if (signal) program.stopSignal = signal;
      else this.warn(sectionName, stopsignal.option, `not supported (CorePod stops with ${STOP_SIGNALS.join(', ')}); TERM used`);
    }
    const stopwaitsecs = text('stopwaitsecs');
    if (stopwaitsecs) program.stopWaitSeconds = this.integer(stopwaitsecs.option, fail, stopwaitsecs.value);
    for (const key of ['stopasgroup', 'killasgroup']) {
      const option = text(key);
      if (option && !this.boolean(option.option, option.value, fail)) {
        this.warn(sectionName, option.option, 'CorePod always signals the whole process group; ignored');
      }
    }
    if (numprocsOption && numprocs !== 1) this.warn(sectionName, numprocsOption, 'not supported (one process per program); ignored');
    const processName = text('process_name');
    if (processName && processName.value !== label) this.warn(sectionName, processName.option, `not supported (the process is named after the program, "${name}"); ignored`);

    const logs = this.logs(sectionName, text, fail, expansions.here as string);
    if (Object.keys(logs).length > 0) program.logs = logs;

    for (const [key, message] of Object.entries(PROGRAM_UNSUPPORTED)) {
      const option = raw(key);
      if (option) this.warn(sectionName, option, message);
    }
    for (const key of ['stdout_syslog', 'stderr_syslog']) {
      const option = text(key);
      if (option && this.boolean(option.option, option.value, fail)) this.warn(sectionName, option.option, 'syslog is not supported (output goes to the JSON mirror); ignored');
    }
    for (const option of section.options.values()) {
      if (!used.has(option.key)) this.warn(sectionName, option, 'unknown option; ignored');
    }
    return program;
  }

  private logs(
    section: string,
    text: (key: string) => { option: IniOption; value: string } | undefined,
    fail: (option: IniOption, message: string) => never,
    here: string,
  ): LogsInput {
    const logs: LogsInput = {};
    const redirect = text('redirect_stderr');
    const redirected = redirect ? this.boolean(redirect.option, redirect.value, fail) : false;
    const targets: Record<'stdout' | 'stderr', { file?: string; none: boolean; settings: boolean }> = {
      stdout: { none: false, settings: false },
      stderr: { none: false, settings: false },
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const option = text(`${stream}_logfile`);
      if (!option) continue;
      const value = option.value;
      const lower = value.toLowerCase();
      if (stream === 'stderr' && redirected) {
        this.warn(section, option.option, 'redirect_stderr=true sends stderr to the stdout log (as in supervisord); ignored');
      } else if (lower === 'none' || lower === 'off') {
        targets[stream].none = true;
      } else if (lower === 'auto') {
        this.warn(section, option.option, 'AUTO log files are not kept: output goes to the JSON mirror on stdout (set logs.stdoutFile/stderrFile for files); ignored');
      } else if (lower === 'syslog') {
        this.warn(section, option.option, 'syslog is not supported (output goes to the JSON mirror); ignored');
      } else if (STDOUT_PATHS.includes(value) || STDERR_PATHS.includes(value)) {
        this.warn(
          section,
          option.option,
          "the container's stdout gets the JSON mirror, one {time, program, stream, msg} line per output line, instead of the raw bytes; no log file",
        );
      } else {
        targets[stream].file = this.absolute(value, option.option, here, section);
      }
    }
    if (targets.stdout.file) logs.stdoutFile = targets.stdout.file;
    if (targets.stderr.file) logs.stderrFile = targets.stderr.file;
    if (redirected && targets.stdout.file) logs.stderrFile = targets.stdout.file;
    if (targets.stdout.none && (targets.stderr.none || redirected)) logs.mirror = false;
    else if (targets.stdout.none || targets.stderr.none) {
      const stream = targets.stdout.none ? 'stdout' : 'stderr';
      this.warn(section, undefined, `${stream}_logfile=NONE: CorePod mirrors both streams or neither; ${stream} is still mirrored to stdout`);
    }

    // One maxBytes/backups pair per program in CorePod, for the stream(s) that have a file.
    const hasFile = { stdout: logs.stdoutFile !== undefined, stderr: logs.stderrFile !== undefined && !redirected };
    for (const [setting, field] of [
      ['maxbytes', 'maxBytes'],
      ['backups', 'backups'],
    ] as const) {
      const values: Partial<Record<'stdout' | 'stderr', { option: IniOption; value: number }>> = {};
      for (const stream of ['stdout', 'stderr'] as const) {
        const option = text(`${stream}_logfile_${setting}`);
        if (!option) continue;
        const value = setting === 'maxbytes' ? this.byteSize(option.option, option.value, fail) : this.integer(option.option, fail, option.value);
        if (hasFile[stream]) values[stream] = { option: option.option, value };
        else this.warn(section, option.option, `no ${stream} log file (${stream} goes to the JSON mirror); ignored`);
      }
      const chosen = values.stdout ?? values.stderr;
      if (!chosen) continue;
      if (values.stdout && values.stderr && values.stdout.value !== values.stderr.value) {
        this.warn(section, values.stderr.option, `CorePod has one logs.${field} for both files; stdout's ${values.stdout.option.value} used`);
      }
      if (field === 'maxBytes') logs.maxBytes = bytesToQuantity(chosen.value);
      else logs.backups = chosen.value;
    }
    return logs;
  }

  private absolute(value: string, option: IniOption, here: string, section: string): string {
    if (path.isAbsolute(value)) return value;
    const resolved = path.resolve(here, value);
    this.warn(section, option, `a relative path; resolved against the config file's directory to "${resolved}"`);
    return resolved;
  }

  private integer(option: IniOption, fail: (option: IniOption, message: string) => never, value = option.value.trim()): number {
    if (!/^[+-]?\d+$/.test(value.trim())) fail(option, 'not an integer');
    return Number(value.trim());
  }

  private boolean(option: IniOption, value: string, fail: (option: IniOption, message: string) => never): boolean {
    const lower = value.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    return fail(option, 'not a boolean (true/false, yes/no, on/off, 1/0)');
  }

  /** supervisord's byte_size: 50MB = 50 × 1024 × 1024 (KB, MB, GB are binary), or a plain number. */
  private byteSize(option: IniOption, value: string, fail: (option: IniOption, message: string) => never): number {
    const match = /^\s*(\d+)\s*(kb|mb|gb)?\s*$/i.exec(value);
    if (!match) return fail(option, 'not a byte size (a number, optionally with KB, MB or GB)');
    const factor = { kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30 }[match[2]?.toLowerCase() as 'kb' | 'mb' | 'gb'] ?? 1;
    return Number(match[1]) * factor;
  }

  private signal(value: string): StopSignal | undefined {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return SIGNAL_NUMBERS[Number(trimmed)];
    const name = trimmed.toUpperCase().replace(/^SIG/, '');
    return (STOP_SIGNALS as readonly string[]).includes(name) ? (name as StopSignal) : undefined;
  }
}

/** Converts a supervisord configuration (and the files it includes) into a CorePod. */
export function convertSupervisord(file: string, source: ConfigSource, options: ConvertOptions = {}): ConvertResult {
  try {
    return new Converter(file, source, options).run();
  } catch (error) {
    if (error instanceof IniError) throw new ConvertError(error.message);
    throw error;
  }
}
