// The little XML-RPC that the benchmarks need from supervisord: getAllProcessInfo over its unix socket.
import http from 'node:http';

export function xmlrpcCall(socketPath: string, method: string, timeoutMs = 5000): Promise<string> {
  const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params></params></methodCall>`;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath, path: '/RPC2', method: 'POST', timeout: timeoutMs, headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from supervisord within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

export interface SupervisordProcess {
  name: string;
  statename: string;
  pid: number;
}

/** The array of structs that supervisor.getAllProcessInfo returns (pure). */
export function parseProcessInfo(xml: string): SupervisordProcess[] {
  if (xml.includes('<fault>'))
    throw new Error(
      `supervisord fault: ${xml
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()}`,
    );
  const out: SupervisordProcess[] = [];
  for (const struct of xml.split('<struct>').slice(1)) {
    const fields = new Map<string, string>();
    const member = /<member>\s*<name>([^<]*)<\/name>\s*<value>\s*(?:<(\w+)>([^<]*)<\/\2>|([^<]*))\s*<\/value>\s*<\/member>/g;
    for (let m = member.exec(struct); m; m = member.exec(struct)) fields.set(m[1]!, m[3] ?? m[4] ?? '');
    out.push({ name: fields.get('name') ?? '', statename: fields.get('statename') ?? '', pid: Number(fields.get('pid') ?? 0) });
  }
  return out;
}
