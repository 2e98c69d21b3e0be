// Telemetry first: instrumentation patches modules as they load.
import { startTelemetry } from '@assay/kit/telemetry';

const telemetry = startTelemetry('review');
const { runService } = await import('@assay/kit');
const { reviewService } = await import('./app.ts');
await runService(reviewService, telemetry);
