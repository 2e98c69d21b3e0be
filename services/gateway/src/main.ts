// Telemetry first: instrumentation patches modules as they load.
import { startTelemetry } from '@assay/kit/telemetry';

const telemetry = startTelemetry('gateway');
const { runGateway } = await import('./run-gateway.ts');
await runGateway(telemetry);
