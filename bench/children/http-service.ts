// `node http-service.js PORT`: a small HTTP service with /health on 127.0.0.1:PORT, the stand-in
// for the reference layout's Node services in tiny benchmark runs.
import http from 'node:http';

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  const ok = req.url === '/health';
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json', connection: 'close' });
  res.end(ok ? '{"status":"ok"}\n' : '{"error":"not found"}\n');
});
server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(signal, () => process.exit(0));
