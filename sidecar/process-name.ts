// Node >= 24 names its main thread, and so the process, "MainThread": that is what `ps -e` and top
// show for the supervisor in a pod, and busybox ps prefixes its args with {MainThread}. The
// corepod process takes its executable's name back, as on older Node.
import fs from 'node:fs';
import path from 'node:path';

export function nameAfterExecutable(): void {
  try {
    fs.writeFileSync('/proc/self/comm', path.basename(process.execPath).slice(0, 15));
  } catch {
    // no /proc: nothing shows the name either
  }
}
