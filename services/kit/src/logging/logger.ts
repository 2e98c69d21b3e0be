import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type Level, type Logger, type LoggerOptions, pino } from 'pino';
import { otlpLogStream } from './otlp-log-stream.ts';

export type { Logger };

/**
 * JSON logs with the active trace and span ids, so a log line leads straight to its trace.
 * Secrets are redacted by key wherever they appear.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        '*.password',
        '*.apiKey',
        '*.authorization',
        '*.databaseUrl',
        '*.DATABASE_URL',
        '*.OPENAI_API_KEY',
      ],
      censor: '[redacted]',
    },
    mixin() {
      const context = trace.getActiveSpan()?.spanContext();
      if (!context || !isSpanContextValid(context)) return {};
      return { trace_id: context.traceId, span_id: context.spanId };
    },
  };
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return pino(options);
  // Also over OTLP (to Loki in the compose stack); stdout keeps every line either way.
  return pino(
    options,
    pino.multistream([
      { level: level as Level, stream: pino.destination(1) },
      { level: level as Level, stream: otlpLogStream(service) },
    ]),
  );
}
