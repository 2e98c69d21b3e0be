// Telemetry first: instrumentation patches modules as they load.
import { startTelemetry } from '@assay/kit/telemetry';

const telemetry = startTelemetry('failure-catalog');
const { runService } = await import('@assay/kit');
const { failureCatalogService } = await import('./app.ts');
await runService(failureCatalogService, telemetry);
