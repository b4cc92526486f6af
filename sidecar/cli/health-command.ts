// corepod health
import type { HealthReport } from '../supervisor-views.js';
import { EXIT, command, parse } from './args.js';
import { call } from './control-client.js';
import { formatBytes } from './format-status.js';

export const usage = `Usage: corepod health [--json]

Shows liveness, readiness and each program's health (what the health endpoint serves to kubelet).
Exit codes: 0 ready, 1 not ready, 3 no supervisor.`;

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values } = parse(argv, { json: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const report = (await call('GET', '/v1/health')).body as HealthReport;
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [`live: ${report.live ? 'yes' : 'NO'}`, `ready: ${report.ready ? 'yes' : 'NO'}`];
      if (report.container) lines.push(`container memory: ${report.container.percent}% of ${formatBytes(report.container.limitBytes)} (${report.container.level})`);
      for (const p of report.programs) {
        const health = p.healthy === undefined ? '-' : p.healthy ? 'healthy' : 'unhealthy';
        const latency = p.probeLatencyMs !== undefined ? ` ${p.probeLatencyMs} ms` : '';
        lines.push(
          `${p.name.padEnd(33)}${p.state.padEnd(10)}${(p.ready ? 'ready' : 'not ready').padEnd(11)}${health}${latency}${p.required ? '' : ' (not required)'}${p.reason ? `  ${p.reason}` : ''}`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return report.ready ? EXIT.ok : EXIT.notRunning;
  });
}
