import type { AddressInfo } from 'node:net';
import { createLogger, listen } from '@assay/kit/operations';
import type { Telemetry } from '@assay/kit/telemetry';
import { createAccess } from './access/access.ts';
import { createGateway, loadGatewayConfig } from './gateway.ts';

/** The gateway process: listen, then close on SIGTERM/SIGINT (in-flight requests finish first). */
export async function runGateway(telemetry: Telemetry): Promise<void> {
  const log = createLogger('gateway');
  try {
    const config = loadGatewayConfig();
    const access = createAccess(config, log);
    await access.start();
    const server = createGateway(config, access, log, telemetry);
    server.on('close', () => void access.close());
    await listen(server, config.ASSAY_GATEWAY_PORT, config.ASSAY_HOST);
    const { port } = server.address() as AddressInfo;
    log.info({ port }, `gateway ready at http://${config.ASSAY_HOST}:${port}/graphql`);
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(1);
      stopping = true;
      server.close(() => void telemetry.shutdown().finally(() => process.exit(0)));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('disconnect', stop); // the `npm start` supervisor went away
  } catch (error) {
    process.stderr.write(`gateway: ${(error as Error).message}\n`);
    await telemetry.shutdown().catch(() => undefined);
    process.exit(2);
  }
}
