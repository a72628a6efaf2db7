// Container HEALTHCHECK for the Node apps. Slim images ship no curl or wget, so Node itself asks the app.
// Usage: node deploy/docker/healthcheck.mjs <PORT_VARIABLE> <default port> [path]
// The port comes from the same variable the app listens on, so overriding it in the environment keeps both in step.
import { request } from 'node:http';

const [portVariable, defaultPort, path = '/health/ready'] = process.argv.slice(2);
const port = Number(process.env[portVariable] || defaultPort);
if (!portVariable || !Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`healthcheck: no valid port (variable ${portVariable ?? '(none)'}, default ${defaultPort ?? '(none)'})`);
  process.exit(2);
}

const probe = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 4000 }, (response) => {
  response.resume();
  const healthy = response.statusCode === 200;
  if (!healthy) console.error(`healthcheck: GET ${path} answered ${response.statusCode}`);
  process.exit(healthy ? 0 : 1);
});
probe.on('timeout', () => probe.destroy(new Error('timed out')));
probe.on('error', (error) => {
  console.error(`healthcheck: GET http://127.0.0.1:${port}${path} failed: ${error.message}`);
  process.exit(1);
});
probe.end();
