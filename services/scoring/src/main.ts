// Telemetry first: instrumentation patches modules as they load.
import { startTelemetry } from '@assay/kit/telemetry';

const telemetry = startTelemetry('scoring');
const { runService } = await import('@assay/kit');
const { scoringService } = await import('./app.ts');
await runService(scoringService, telemetry);
