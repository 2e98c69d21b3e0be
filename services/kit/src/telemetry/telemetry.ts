import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { metrics } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { redactSql } from './redact-sql.ts';

/**
 * Started by every process before anything else is imported (see `main.ts`): instrumentation
 * patches modules as they load, so a module loaded earlier is never traced.
 */
export interface Telemetry {
  /** Prometheus text exposition, served on each process's `/metrics`. */
  prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

export function startTelemetry(
  serviceName: string,
  options: { spanProcessors?: SpanProcessor[] } = {},
): Telemetry {
  if (started) return started;
  // Without an endpoint nothing is exported over the network; trace context still propagates (W3C).
  const otlp = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const metricReaders: IMetricReader[] = [prometheus];
  // Scraped instead (OTEL_METRICS_EXPORTER=none): pushing too would store every series twice.
  if (otlp && process.env.OTEL_METRICS_EXPORTER !== 'none')
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() }));
  const sdk = new NodeSDK({
    serviceName,
    autoDetectResources: false,
    metricReaders,
    // Without an exporter a tracer provider is still needed: ids are created and propagated (W3C),
    // so a run's traceId is real and logs carry it, even when nothing is exported.
    // The logs API's exporter: the kit's logger sends every line through it (logging/otlp-log-stream.ts).
    ...(otlp
      ? { logRecordProcessors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })] }
      : {}),
    spanProcessors: options.spanProcessors ?? [
      otlp ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }) : new NoopSpanProcessor(),
    ],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? ''),
      }),
      new UndiciInstrumentation(),
      new PgInstrumentation({
        enhancedDatabaseReporting: false,
        requestHook: (span, info) => span.setAttribute('db.query.text', redactSql(info.query.text)),
      }),
      new GraphQLInstrumentation({ mergeItems: true, allowValues: false, ignoreTrivialResolveSpans: true }),
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  // Instrumentations patch CommonJS modules as they are required. Our code imports node:http as ESM,
  // which never passes through require, so require it once here to patch the shared builtin.
  createRequire(import.meta.url)('http');
  observeProcess();
  started = {
    prometheus,
    async shutdown() {
      await sdk.shutdown();
    },
  };
  return started;
}

/**
 * Event-loop delay (p50, p99, max since the previous scrape: a blocked loop delays every request and
 * heartbeat of the process) and resident memory, for the overview's saturation panels.
 */
function observeProcess(): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  metrics
    .getMeter('assay')
    .createObservableGauge('assay_process_event_loop_delay_seconds', {
      description: 'Event-loop delay since the previous collection, by stat (p50, p99, max)',
      unit: 's',
    })
    .addCallback((result) => {
      // Nanoseconds; an idle loop still reports about the sampling resolution.
      if (delay.count > 0) {
        result.observe(delay.percentile(50) / 1e9, { stat: 'p50' });
        result.observe(delay.percentile(99) / 1e9, { stat: 'p99' });
        result.observe(delay.max / 1e9, { stat: 'max' });
      }
      delay.reset();
    });
  metrics
    .getMeter('assay')
    .createObservableGauge('assay_process_resident_memory_bytes', {
      description: 'Resident set size of the process',
      unit: 'By',
    })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));
}

export const meter = () => metrics.getMeter('assay');
