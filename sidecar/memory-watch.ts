// Samples memory once per interval: each program's process tree (its state machine judges it
// against the program's own limit) and the container against spec.memory's warning and critical
// levels, restarting the program that uses the most at critical when the action is restart.
import type { CorePodSpec } from '../crds/corepod-schema.js';
import { wallTime, type Clock, type TimerHandle } from '../lib/clock.js';
import type { ContainerMemoryEvent } from './event-hub.js';
import type { Logger } from './logger.js';
import { memoryLevel, type MemoryLevel, type MemoryReader } from './memory-reader.js';
import type { MachineConfig, MachineEvent, ProgramState } from './process-state-machine.js';

export interface ContainerMemoryFigures {
  level: MemoryLevel;
  percent: number;
  workingSetBytes: number;
  limitBytes: number;
}

export interface WatchedProgram {
  readonly name: string;
  readonly state: ProgramState;
  readonly machine: MachineConfig;
  /** The last sample of its process tree, while it has a process. */
  memoryBytes: number | undefined;
}

export interface MemoryWatchOptions<P extends WatchedProgram> {
  reader: MemoryReader;
  settings: CorePodSpec['memory'];
  programs: readonly P[];
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  raise: (program: P, event: MachineEvent) => void;
  publish: (event: ContainerMemoryEvent) => void;
  stopping: () => boolean;
}

export class MemoryWatch<P extends WatchedProgram> {
  private timer: TimerHandle | undefined;
  private level: MemoryLevel = 'ok';
  private figures: ContainerMemoryFigures | undefined;

  constructor(private readonly options: MemoryWatchOptions<P>) {}

  start(): void {
    this.timer = this.options.clock.setTimeout(() => {
      try {
        this.sample();
      } catch (error) {
        this.options.logger.warn('memory sampling failed', { error: error as Error });
      }
      if (!this.options.stopping()) this.start();
    }, this.options.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** The container's figures at the last sample, if it has a memory limit. */
  container(): ContainerMemoryFigures | undefined {
    return this.figures;
  }

  private sample(): void {
    const { programs, reader } = this.options;
    const live = programs.filter((program) => program.state.pid !== undefined);
    const trees = reader.processTrees(live.map((program) => program.state.pid!));
    for (const program of programs) program.memoryBytes = program.state.pid !== undefined ? trees.get(program.state.pid) : undefined;
    for (const program of live) {
      const bytes = program.memoryBytes;
      if (bytes !== undefined && program.machine.memory) this.options.raise(program, { type: 'memory', generation: program.state.generation, bytes });
    }
    this.checkContainer();
  }

  private checkContainer(): void {
    const figures = this.options.reader.container();
    const { warningPercent, criticalPercent, action } = this.options.settings;
    if (!figures || figures.limitBytes === undefined) return;
    const percent = Math.round((figures.workingSetBytes / figures.limitBytes) * 1000) / 10;
    const level = memoryLevel(percent, warningPercent, criticalPercent);
    this.figures = { level, percent, workingSetBytes: figures.workingSetBytes, limitBytes: figures.limitBytes };
    if (level === this.level) return;
    const previous = this.level;
    this.level = level;
    let restarted: string | undefined;
    if (level === 'critical' && action === 'restart' && !this.options.stopping()) {
      const biggest = this.options.programs
        .filter((program) => program.state.state === 'RUNNING' && program.memoryBytes !== undefined)
        .sort((a, b) => (b.memoryBytes ?? 0) - (a.memoryBytes ?? 0))[0];
      if (biggest) {
        restarted = biggest.name;
        this.options.raise(biggest, { type: 'restart', reason: 'memory' });
      }
    }
    this.options.logger[level === 'ok' ? 'info' : 'warn'](`container memory ${level}`, {
      percent,
      workingSetBytes: figures.workingSetBytes,
      limitBytes: figures.limitBytes,
      restarted,
    });
    const { clock } = this.options;
    this.options.publish({
      type: 'container-memory',
      time: wallTime(clock, clock.now()),
      level,
      previous,
      percent,
      workingSetBytes: figures.workingSetBytes,
      limitBytes: figures.limitBytes,
      warningPercent,
      criticalPercent,
      action,
      ...(restarted ? { restarted } : {}),
    });
  }
}
