// Run inside the cluster network namespace by dockerd.cluster.test.ts: starts a container with
// testcontainers against the harness dockerd, fetches a page through its mapped port, prints
// {"host","port","body"} as JSON and removes the container.
//   node dist/e2e/cluster/testcontainers-probe.js IMAGE
import { GenericContainer, Wait } from 'testcontainers';

const image = process.argv[2];
if (!image) {
  console.error('usage: testcontainers-probe IMAGE');
  process.exit(2);
}

const container = await new GenericContainer(image)
  .withCommand(['/bin/sh', '-c', 'mkdir -p /www && echo "from testcontainers" > /www/index.html && exec httpd -f -p 8080 -h /www'])
  .withExposedPorts(8080)
  .withWaitStrategy(Wait.forListeningPorts())
  .start();
try {
  const host = container.getHost();
  const port = container.getMappedPort(8080);
  const body = await (await fetch(`http://${host}:${port}/`)).text();
  console.log(JSON.stringify({ host, port, body }));
} finally {
  await container.stop({ remove: true, timeout: 1_000 });
}
