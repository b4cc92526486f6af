// supervisord.conf → CorePod: pure conversion (file access goes through ConfigSource). Every
// option is either mapped or named in a warning; the result is checked with the CorePod schema.
import path from 'node:path';
import { API_VERSION, KIND, MAX_INSTANCES, STOP_SIGNALS, validateCorePod, type CorePodSpecInput, type StopSignal } from '../../crds/corepod-schema.js';
import { IniError, parseIni, type IniOption, type IniSection } from './ini.js';
import { joinReferences } from '../expand-references.js';
import { FormatError, expandPercent, expandPercentDeferring, type Conversion, type Expansions } from './python-format.js';
import { ShlexError, keyValuePairs, shellSplit } from './shlex.js';
import { INSTANCE_ENV } from '../../contract/instances.js';

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
  /**
   * `--env NAME=VALUE`: the values of %(ENV_NAME)s in the options that must be known when
   * converting (numbers, booleans, user=, [include] files=). No other environment is read.
   */
  env?: Readonly<Record<string, string>>;
  /** `--here DIR`: the directory the main configuration lives in inside the image. */
  here?: string;
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
const MAX_START_RETRIES = 1000;
/** The options the sidecar-init expands again when the program starts: %(ENV_X)s becomes $(X) there. */
const RUN_TIME_OPTIONS = ['command', 'environment', 'directory', 'stdout_logfile', 'stderr_logfile'];
/** Listener commands that end supervisord (kill_supervisor.py, stop-supervisor.sh, supervisord-watchdog, ...). */
const STOPPING_LISTENER = /kill|stop|shutdown|exit|quit|die|watchdog/i;
/** An inline script that signals supervisord: `kill -SIGQUIT $PPID`, `kill 1`, `kill $(cat /run/supervisord.pid)`. */
const KILLS_SUPERVISORD = /\bkill\s+(-\S+\s+)*(1\b|\$PPID\b|\$\(cat [^)]*supervisord\.pid\)|`cat [^`]*supervisord\.pid`)/;

/** Messages for [supervisord] options that have no CorePod field. */
const SUPERVISORD_OPTIONS: Record<string, string> = {
  nodaemon: 'corepod always runs in the foreground (nodaemon=true); ignored',
  user: "corepod runs as the container's user (each program may switch with user:); ignored",
  logfile: "corepod logs JSON lines to the container's stdout; ignored",
  logfile_maxbytes: "corepod logs JSON lines to the container's stdout; ignored",
  logfile_backups: "corepod logs JSON lines to the container's stdout; ignored",
  loglevel: "corepod logs JSON lines to the container's stdout; ignored",
  pidfile: 'no pid file; ignored',
  childlogdir: 'AUTO child log files are not kept (output goes to the JSON mirror on stdout); ignored',
  minfds: 'not supported (set limits on the container); ignored',
  minprocs: 'not supported (set limits on the container); ignored',
  identifier: 'not supported; ignored',
  directory: 'corepod does not change its own directory (each program has workingDir); ignored',
  nocleanup: 'not supported; ignored',
  strip_ansi: 'not supported (output is kept as written); ignored',
  silent: 'not supported; ignored',
};

const PROGRAM_UNSUPPORTED: Record<string, string> = {
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

/** numprocs > 1: how many, and the first %(process_num)d. */
interface Instances {
  count: number;
  start: number;
}

interface Listener {
  section: IniSection;
  /** Program labels it names with -p/--program, or undefined for all. */
  watched: string[] | undefined;
}

class Converter {
  readonly warnings: string[] = [];
  private readonly sections = new Map<string, IniSection>();
  /** ENV_X values known when converting: --env, then [supervisord] environment=. */
  private readonly known: Expansions = {};
  private readonly mainDir: string;
  private hereWarned = false;

  constructor(
    private readonly file: string,
    private readonly source: ConfigSource,
    private readonly options: ConvertOptions,
  ) {
    this.mainDir = path.dirname(path.resolve(file));
    for (const [key, value] of Object.entries(options.env ?? {})) this.known[`ENV_${key}`] = value;
  }

  warn(section: string, option: IniOption | undefined, message: string): void {
    this.warnings.push(option ? `[${section}] ${option.key}=${show(option.value)}: ${message}` : `[${section}]: ${message}`);
  }

  /** The directory in the image of a directory of this machine that holds configuration. */
  private imageDir(localDir: string): string {
    return this.options.here === undefined ? localDir : path.join(this.options.here, path.relative(this.mainDir, localDir));
  }

  /** Where a path of the image is on this machine: under --here it is under the main file's directory. */
  private localPath(imagePath: string): string {
    const here = this.options.here;
    if (here === undefined) return imagePath;
    const relative = path.relative(here, imagePath);
    return relative.startsWith('..') || path.isAbsolute(relative) ? imagePath : path.join(this.mainDir, relative);
  }

  run(): ConvertResult {
    this.readAll();
    const globalEnv = this.supervisordSection();
    const groups = this.groups();
    const programs: ProgramInput[] = [];
    const labels: string[] = [];
    const names = new Map<string, string>();
    const listeners: Listener[] = [];
    for (const section of this.sections.values()) {
      const [kind, ...rest] = section.name.split(':');
      const label = rest.join(':');
      switch (kind) {
        case 'program': {
          const program = this.program(section, label, groups.get(label), globalEnv);
          const clash = names.get(program.name);
          if (clash !== undefined) throw new ConvertError(`[program:${label}] and [program:${clash}] both become the CorePod program "${program.name}"`);
          names.set(program.name, label);
          programs.push(program);
          labels.push(label);
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
        case 'eventlistener': {
          const listener = this.listener(section);
          if (listener) listeners.push(listener);
          break;
        }
        case 'fcgi-program':
          this.fcgiProgram(section);
          break;
        case 'ctlplugin':
          this.warn(section.name, undefined, 'supervisorctl plugins are not supported; ignored');
          break;
        default:
          if (section.name !== 'DEFAULT') this.warn(section.name, undefined, 'unknown section; ignored');
      }
    }
    if (programs.length === 0) throw new ConvertError(`${this.file}: no [program:x] section to convert`);
    for (const listener of listeners) this.applyCritical(listener, programs, labels);

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
    const patterns = this.expand(files, {}, 'include').split(/\s+/).filter(Boolean);
    const base = this.imageDir(path.dirname(path.resolve(include.file)));
    for (const pattern of patterns) {
      const matches = this.source.glob(this.localPath(path.resolve(base, pattern)));
      if (matches.length === 0) this.warnings.push(`[include] files: no file matches "${pattern}"; skipped`);
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

  /** supervisord replaces %(here)s by each file's directory when it reads the file: here, its directory in the image. */
  private expandHere(file: string): void {
    const here = this.imageDir(path.dirname(path.resolve(file)));
    for (const section of this.sections.values()) {
      for (const option of section.options.values()) {
        if (option.file !== file || !option.value.includes('%(here)s')) continue;
        if (this.options.here === undefined && !this.hereWarned) {
          this.hereWarned = true;
          this.warnings.push(`%(here)s: no --here given, so it is the configuration's directory here, "${here}"; pass --here with its directory in the image`);
        }
        option.value = option.value.replaceAll('%(here)s', here);
      }
    }
  }

  private formatError(option: IniOption, section: string, error: unknown): never {
    if (!(error instanceof FormatError)) throw error;
    const prefix = `${where(option)}: [${section}] ${option.key}=${show(option.value)}`;
    const missing = error.missing === 'host_node_name' ? 'ENV_HOSTNAME' : error.missing;
    if (missing?.startsWith('ENV_')) {
      const name = missing.slice('ENV_'.length);
      const shown = error.missing === 'host_node_name' ? '%(host_node_name)s' : `%(ENV_${name})s`;
      throw new ConvertError(`${prefix}: ${shown} must be known when converting (supervisord takes it from its environment at start-up); pass --env ${name}=VALUE`);
    }
    throw new ConvertError(`${prefix}: ${error.message}`);
  }

  /** What is known when converting, for a section's expansions: %(host_node_name)s is the HOSTNAME given with --env. */
  private knownNow(expansions: Expansions): Expansions {
    const all: Expansions = { ...this.known, ...expansions };
    if (all.ENV_HOSTNAME !== undefined) all.host_node_name = all.ENV_HOSTNAME;
    return all;
  }

  /** An option whose value is needed now: %(ENV_X)s comes from --env or an environment= of the configuration. */
  private expand(option: IniOption, expansions: Expansions, section: string): string {
    try {
      return expandPercent(option.value, this.knownNow(expansions));
    } catch (error) {
      return this.formatError(option, section, error);
    }
  }

  /** [supervisord]: its environment applies to every program; its umask too; the rest has no equivalent. */
  private supervisordSection(): { env: [string, string][]; umask: string | undefined } {
    const section = this.sections.get('supervisord');
    if (!section) return { env: [], umask: undefined };
    let env: [string, string][] = [];
    let umask: string | undefined;
    for (const option of section.options.values()) {
      if (option.key === 'environment') {
        const environment = this.environment(option, {}, section.name, undefined);
        env = environment.variables;
        Object.assign(this.known, environment.now);
      } else if (option.key === 'umask') {
        umask = this.umask(option, this.expand(option, {}, section.name), (o, message) => {
          throw new ConvertError(`${where(o)}: [supervisord] umask=${show(o.value)}: ${message}`);
        });
      } else if (option.key === 'nodaemon' && TRUE.includes(option.value.trim().toLowerCase())) {
        // What corepod always does.
      } else {
        this.warn(section.name, option, SUPERVISORD_OPTIONS[option.key] ?? 'unknown option; ignored');
      }
    }
    return { env, umask };
  }

  /**
   * environment=: the CorePod variables (see deferred), and the values supervisord would give them
   * when they are known now, as the ENV_X expansions of the options needed now.
   */
  private environment(option: IniOption, expansions: Expansions, section: string, instances: Instances | undefined): { variables: [string, string][]; now: Expansions } {
    const { text, finish } = this.deferred(option, expansions, section, instances);
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
      for (const [key, value] of keyValuePairs(expandPercent(option.value, this.knownNow(expansions)))) now[`ENV_${key}`] = value;
    } catch {
      // A value that depends on the environment at start-up is not known now: an option needed
      // now that uses it fails naming it; the CorePod variables above do not need it.
    }
    return { variables, now };
  }

  /**
   * An option the sidecar-init expands again when the program starts (RUN_TIME_OPTIONS): each
   * %(ENV_X)s becomes $(X), resolved then from the program's environment as supervisord resolved
   * it from its own at start-up; %(host_node_name)s becomes $(HOSTNAME) and, with instances,
   * %(process_num)d $(COREPOD_INSTANCE); the other %(…)s are expanded now. `text` is to be split as
   * supervisord splits the option, and `finish` turns each piece into its CorePod form, with the
   * literal `$` escaped where the sidecar-init would take it for a reference.
   */
  private deferred(option: IniOption, expansions: Expansions, section: string, instances: Instances | undefined): { text: string; finish: (piece: string) => string } {
    const references = new Set<string>();
    const defer = (conversion: Conversion): (string | { reference: string })[] | undefined => {
      const plain = conversion.type === 's' && conversion.flags === '' && conversion.width === undefined && conversion.precision === undefined;
      if (conversion.name.startsWith('ENV_') && plain) {
        references.add(conversion.name.slice('ENV_'.length));
        return [{ reference: conversion.name.slice('ENV_'.length) }];
      }
      if (conversion.name === 'host_node_name' && plain) {
        this.warn(section, option, "%(host_node_name)s becomes $(HOSTNAME), the container's host name (the pod's name in Kubernetes)");
        return [{ reference: 'HOSTNAME' }];
      }
      if (conversion.name === 'process_num' && instances) return this.instanceReference(section, option, conversion, instances);
      return undefined;
    };
    let parts: (string | { reference: string })[];
    try {
      parts = expandPercentDeferring(option.value, this.knownNow(expansions), defer);
    } catch (error) {
      return this.formatError(option, section, error);
    }
    if (option.key === 'command') {
      for (const name of references) {
        this.warnings.push(
          `[${section}] ${option.key}: %(ENV_${name})s becomes $(${name}), expanded when the program starts within one argument (supervisord split the value into words)`,
        );
      }
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
        out.push(piece.slice(last, match.index), parts[Number(match[1])] as { reference: string });
        last = match.index + match[0].length;
      }
      out.push(piece.slice(last));
      return joinReferences(out);
    };
    return { text, finish };
  }

  /**
   * %(process_num)…d of an instance: COREPOD_INSTANCE counts 0, 1, …; zero padding is exact while
   * every number has one digit; another numprocs_start or a wider number differs, with a warning.
   */
  private instanceReference(section: string, option: IniOption, conversion: Conversion, instances: Instances): (string | { reference: string })[] {
    const reference = { reference: INSTANCE_ENV };
    const differences: string[] = [];
    if (instances.start !== 0) differences.push(`CorePod counts instances from 0, supervisord from numprocs_start=${instances.start}`);
    let pad = '';
    if (conversion.width !== undefined && conversion.width > 1) {
      if (instances.count <= 10 && conversion.flags.includes('0') && !conversion.flags.includes('-')) pad = '0'.repeat(conversion.width - 1);
      else differences.push(`$(${INSTANCE_ENV}) is not padded to ${conversion.width} digits`);
    }
    if (differences.length > 0) this.warn(section, option, `%(process_num)s becomes $(${INSTANCE_ENV}), but ${differences.join('; ')}`);
    return pad === '' ? [reference] : [pad, reference];
  }

  /** Program label → its group (name and priority), from the [group:x] sections. */
  private groups(): Map<string, { name: string; priority: IniOption | undefined }> {
    const groups = new Map<string, { name: string; priority: IniOption | undefined }>();
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
        groups.set(member, { name: group, priority: section.options.get('priority') });
      }
      for (const option of section.options.values()) {
        if (option.key !== 'programs' && option.key !== 'priority') this.warn(section.name, option, 'unknown option; ignored');
      }
    }
    return groups;
  }

  /** An event listener: one that only ends supervisord when a program goes FATAL is `critical: true`. */
  private listener(section: IniSection): Listener | undefined {
    const events = (section.options.get('events')?.value ?? '')
      .split(',')
      .map((event) => event.trim().toUpperCase())
      .filter(Boolean);
    let words: string[] = [];
    try {
      words = shellSplit(section.options.get('command')?.value ?? '');
    } catch {
      // An unsplittable command is not one recognised below.
    }
    const names = words.map((word) => path.basename(word));
    const stops = names.some((name) => STOPPING_LISTENER.test(name)) || words.some((word) => KILLS_SUPERVISORD.test(word));
    if (stops && events.length > 0 && events.every((event) => event === 'PROCESS_STATE_FATAL')) {
      const watched: string[] = [];
      words.forEach((word, i) => {
        const flag = /^(-p|--programs?)(?:=(.*))?$/.exec(word);
        if (!flag) return;
        const value = flag[2] ?? words[i + 1];
        if (value) watched.push(...value.split(',').filter(Boolean));
      });
      return { section, watched: watched.length > 0 ? watched : undefined };
    }
    let hint: string;
    if (stops && events.some((event) => ['PROCESS_STATE_EXITED', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE'].includes(event))) {
      hint = 'it ends supervisord when a program exits: give those programs exitContainerOnExit: true (the container exits with their code)';
    } else if (names.some((name) => /mail|slack|notify|alert/i.test(name))) {
      hint = 'for notices of crashes use spec.alerts (GitHub issues) or the Kubernetes Events CorePod raises for every state change';
    } else if (names.includes('memmon')) {
      hint = 'use memory: {limit, action: restart} on the programs';
    } else if (names.includes('httpok')) {
      hint = 'use healthCheck: {httpGet} on the programs';
    } else {
      hint = 'CorePod raises Kubernetes Events itself and has healthCheck, memory and critical for what listeners usually do';
    }
    this.warn(section.name, undefined, `event listeners are not supported; ${hint}; not converted`);
    return undefined;
  }

  private applyCritical(listener: Listener, programs: ProgramInput[], labels: string[]): void {
    const targets: string[] = [];
    for (const wanted of listener.watched ?? labels) {
      const index = labels.indexOf(wanted);
      if (index === -1) {
        this.warn(listener.section.name, undefined, `names unknown program ${wanted}; ignored`);
        continue;
      }
      programs[index]!.critical = true;
      targets.push(programs[index]!.name);
    }
    this.warn(
      listener.section.name,
      undefined,
      `ends supervisord when a program goes FATAL: converted to critical: true on ${targets.join(', ')} (the container exits and Kubernetes restarts the pod)`,
    );
  }

  private fcgiProgram(section: IniSection): void {
    const socket = section.options.get('socket')?.value ?? '(no socket=)';
    const command = section.options.get('command')?.value ?? '';
    const tcp = /^tcp:\/\/([^:]+):(\d+)$/.exec(socket);
    const spawnFcgi = tcp ? `-a ${tcp[1]} -p ${tcp[2]}` : `-s ${socket.replace(/^unix:\/\//, '')}`;
    this.warn(
      section.name,
      undefined,
      `no shared FastCGI socket; make it a [program] that opens ${socket} itself, e.g. command=spawn-fcgi -n ${spawnFcgi} -- ${command} (or the server's own listen setting, as php-fpm's listen=); not converted`,
    );
  }

  private program(
    section: IniSection,
    label: string,
    group: { name: string; priority: IniOption | undefined } | undefined,
    global: { env: [string, string][]; umask: string | undefined },
  ): ProgramInput {
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
    const base: Expansions = { program_name: label, group_name: group?.name ?? label };
    const numprocsOption = raw('numprocs');
    const numprocs = numprocsOption ? this.integer(numprocsOption, fail, this.expand(numprocsOption, base, sectionName)) : 1;
    if (numprocsOption && (numprocs < 1 || numprocs > MAX_INSTANCES)) fail(numprocsOption, `CorePod runs 1 to ${MAX_INSTANCES} instances of a program`);
    const startOption = raw('numprocs_start');
    const start = startOption ? this.integer(startOption, fail, this.expand(startOption, base, sectionName)) : 0;
    const instances: Instances | undefined = numprocs > 1 ? { count: numprocs, start } : undefined;
    if (startOption && !instances) this.warn(sectionName, startOption, 'only used with numprocs > 1; ignored');
    const expansions: Expansions = { ...base, numprocs, process_num: start };
    // Options needed now; with instances, %(process_num)s differs per instance, known only at run time.
    const needed = { ...expansions };
    if (instances) delete needed.process_num;
    const text = (key: string): { option: IniOption; value: string } | undefined => {
      const option = raw(key);
      if (!option) return undefined;
      if (RUN_TIME_OPTIONS.includes(key)) {
        const { text: value, finish } = this.deferred(option, expansions, sectionName, instances);
        return { option, value: finish(value.trim()) };
      }
      return { option, value: this.expand(option, needed, sectionName).trim() };
    };

    const name = programName(label);
    if (name === '') throw new ConvertError(`${section.file}:${section.line}: [${sectionName}]: no usable program name`);
    if (name !== label) this.warn(sectionName, undefined, `renamed "${name}" (CorePod program names are DNS labels)`);

    // environment first: its values extend the expansions of the other options.
    const env = new Map(global.env);
    const environment = raw('environment');
    if (environment) {
      const { variables, now } = this.environment(environment, needed, sectionName, instances);
      for (const [key, value] of variables) env.set(key, value);
      Object.assign(expansions, now);
      Object.assign(needed, now);
    }

    const commandOption = raw('command');
    if (!commandOption) throw new ConvertError(`${section.file}:${section.line}: [${sectionName}] has no command= option`);
    const command = this.deferred(commandOption, expansions, sectionName, instances);
    let argv: string[];
    try {
      argv = shellSplit(command.text.trim()).map(command.finish);
    } catch (error) {
      return fail(commandOption, `cannot split the command: ${(error as Error).message}`);
    }
    if (argv.length === 0) fail(commandOption, 'the command is empty');

    const program: ProgramInput = { name, command: argv };
    if (instances) program.instances = instances.count;
    const here = this.imageDir(path.dirname(path.resolve(section.file)));
    const workingDir = text('directory');
    if (workingDir) program.workingDir = this.absolute(workingDir.value, workingDir.option, here, sectionName);
    const user = text('user');
    if (user) {
      program.user = user.value;
      const reset = ['HOME', 'USER', 'LOGNAME'].filter((key) => !env.has(key));
      if (reset.length > 0) {
        this.warn(sectionName, user.option, `CorePod sets ${reset.join(', ')} to the user's, where supervisord leaves its own (set them in environment= to keep them)`);
      }
    }
    if (env.size > 0) program.env = [...env].map(([key, value]) => ({ name: key, value }));
    const umask = text('umask');
    const mask = umask ? this.umask(umask.option, umask.value, fail) : global.umask;
    if (mask !== undefined) program.umask = mask;

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
    const priority = text('priority') ?? (group?.priority ? { option: group.priority, value: this.expand(group.priority, {}, `group:${group.name}`) } : undefined);
    if (priority) {
      const value = this.integer(priority.option, fail, priority.value);
      program.priority = Math.min(100_000, Math.max(0, value));
      if (program.priority !== value) this.warn(sectionName, priority.option, `CorePod priorities range from 0 to 100000; ${program.priority} used`);
    }
    if (group?.priority && section.options.has('priority')) {
      this.warn(
        sectionName,
        section.options.get('priority'),
        `supervisord started [group:${group.name}] as a whole at its priority ${group.priority.value}; CorePod orders each program by its own priority`,
      );
    }
    const startsecs = text('startsecs');
    if (startsecs) program.startSeconds = this.integer(startsecs.option, fail, startsecs.value);
    const startretries = text('startretries');
    if (startretries) {
      const value = this.integer(startretries.option, fail, startretries.value);
      program.startRetries = Math.min(MAX_START_RETRIES, Math.max(0, value));
      if (program.startRetries !== value) {
        this.warn(
          sectionName,
          startretries.option,
          `CorePod allows 0 to ${MAX_START_RETRIES} start retries; ${program.startRetries} used (with the linear backoff, days of retrying)`,
        );
      }
    }
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
        this.warn(sectionName, option.option, 'CorePod always signals the whole process group (each program is its own session); ignored');
      }
    }
    const processName = raw('process_name');
    if (processName) {
      if (instances && !processName.value.includes('%(process_num)')) fail(processName, 'with numprocs > 1 it must contain %(process_num)s, as supervisord requires');
      if (instances) {
        if (!/^%\(program_name\)s[-_:]?%\(process_num\)0?2?d$/.test(processName.value)) {
          this.warn(sectionName, processName, `the instances are named ${name}:00, ${name}:01, ...; ignored`);
        }
      } else if (this.expand(processName, needed, sectionName) !== label) {
        this.warn(sectionName, processName, `not supported (the process is named after the program, "${name}"); ignored`);
      }
    }

    const logs = this.logs(sectionName, text, fail, here);
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

  /** supervisord's octal umask, as the CorePod's three or four octal digits. */
  private umask(option: IniOption, value: string, fail: (option: IniOption, message: string) => never): string {
    const digits = value.trim().replace(/^0o/i, '');
    if (!/^[0-7]{1,4}$/.test(digits) || Number.parseInt(digits, 8) > 0o7777) return fail(option, 'not an octal umask (e.g. 022)');
    return Number.parseInt(digits, 8).toString(8).padStart(3, '0');
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
    const targets: Record<'stdout' | 'stderr', { file?: string; none: boolean; container: boolean }> = {
      stdout: { none: false, container: false },
      stderr: { none: false, container: false },
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
        // One warning per program, on the first of its streams that goes to the container.
        if (!targets.stdout.container) {
          this.warn(
            section,
            option.option,
            "the container's stdout gets the JSON mirror, one {time, program, stream, msg} line per output line, instead of the raw bytes; no log file",
          );
        }
        targets[stream].container = true;
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
        // supervisord needs maxbytes=0 (and has no use for backups) with /dev/stdout: the mirror has neither.
        else if (value === 0 && (targets[stream].container || (stream === 'stderr' && redirected && targets.stdout.container))) continue;
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
    if (path.isAbsolute(value) || value.startsWith('$(')) return value;
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
