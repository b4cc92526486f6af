// The sd_notify protocol (systemd's sd_notify(3)): a datagram of newline-separated VAR=VALUE
// assignments. Only what CorePod acts on is read; other variables (FDSTORE=1, ERRNO=, ...) and
// malformed lines are ignored, as systemd does. Pure.

export interface NotifyMessage {
  /** READY=1 */
  ready?: true;
  /** RELOADING=1: not ready again until the next READY=1 (only recorded). */
  reloading?: true;
  /** STOPPING=1 */
  stopping?: true;
  /** STATUS=… free text */
  status?: string;
  /** MAINPID=N */
  mainPid?: number;
  /** WATCHDOG=1 (ping) or WATCHDOG=trigger */
  watchdog?: 'ping' | 'trigger';
  /** EXTEND_TIMEOUT_USEC=N, in milliseconds (rounded up) */
  extendTimeoutMs?: number;
}

const UNSIGNED = /^[0-9]+$/;
/** Linux's PID_MAX_LIMIT: no pid is larger. */
const PID_MAX = 2 ** 22;

export function parseNotify(datagram: string): NotifyMessage {
  const message: NotifyMessage = {};
  for (const line of datagram.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const name = line.slice(0, at);
    const value = line.slice(at + 1);
    switch (name) {
      case 'READY':
        if (value === '1') message.ready = true;
        break;
      case 'RELOADING':
        if (value === '1') message.reloading = true;
        break;
      case 'STOPPING':
        if (value === '1') message.stopping = true;
        break;
      case 'STATUS':
        message.status = value;
        break;
      case 'MAINPID':
        if (UNSIGNED.test(value) && Number(value) > 0 && Number(value) <= PID_MAX) message.mainPid = Number(value);
        break;
      case 'WATCHDOG':
        if (value === '1') message.watchdog = 'ping';
        else if (value === 'trigger') message.watchdog = 'trigger';
        break;
      case 'EXTEND_TIMEOUT_USEC':
        // A uint64 of µs as systemd reads it; past 2^53 ms (285,000 years) it is "forever" all the same.
        if (UNSIGNED.test(value)) message.extendTimeoutMs = Math.min(Math.ceil(Number(value) / 1000), Number.MAX_SAFE_INTEGER);
        break;
      default:
        break;
    }
  }
  return message;
}
