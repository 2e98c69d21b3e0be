// A gateway process for `npm run bench -- gateway`, built as services/gateway/src/main.ts builds
// it (telemetry, access, the same plugins). With `--auth off` every request is taken as
// the default tenant's admin without looking at any credential: the baseline that shows what
// authentication costs. Only the bench starts it; nothing else can turn authentication off.
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '@assay/kit/telemetry';

const telemetry = startTelemetry('gateway');
const { createLogger, listen } = await import('@assay/kit/operations');
const { createAccess } = await import('../../services/gateway/src/access/access.ts');
const { createGateway, loadGatewayConfig } = await import('../../services/gateway/src/gateway.ts');

const log = createLogger('gateway');
const config = loadGatewayConfig();
const access = createAccess(config, log);
await access.start();
if (process.argv.slice(2).join(' ') === '--auth off') {
  const caller = { tenant: 'default', scopes: ['admin' as const], subject: 'bench' };
  access.authenticator.authenticate = async () => caller;
}
const server = createGateway(config, access, log, telemetry);
await listen(server, config.ASSAY_GATEWAY_PORT, config.ASSAY_HOST);
const { port } = server.address() as AddressInfo;
log.warn({ port }, `gateway ready at http://${config.ASSAY_HOST}:${port}/graphql`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
