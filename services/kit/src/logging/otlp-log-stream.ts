import { type AnyValue, logs, ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';

/** pino's levels as OpenTelemetry severities. */
const SEVERITY: Record<number, [SeverityNumber, string]> = {
  10: [SeverityNumber.TRACE, 'TRACE'],
  20: [SeverityNumber.DEBUG, 'DEBUG'],
  30: [SeverityNumber.INFO, 'INFO'],
  40: [SeverityNumber.WARN, 'WARN'],
  50: [SeverityNumber.ERROR, 'ERROR'],
  60: [SeverityNumber.FATAL, 'FATAL'],
};

/**
 * A pino destination that hands each line, as written (so already redacted), to the OpenTelemetry
 * logs API, which exports it over OTLP: the message as the body, the other fields as attributes,
 * and the line's trace and span ids as its context, so Loki links it to the trace in Tempo.
 * (pino is loaded as ESM here, which the pino instrumentation cannot patch.)
 */
export function otlpLogStream(service: string): { write(line: string): void } {
  const logger = logs.getLogger('assay');
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const { level, msg, time, trace_id, span_id, ...fields } = record;
      const [severityNumber, severityText] = SEVERITY[Number(level)] ?? [
        SeverityNumber.UNSPECIFIED,
        'UNSPECIFIED',
      ];
      const attributes: Record<string, AnyValue> = { service };
      for (const [key, value] of Object.entries(fields))
        attributes[key] =
          value !== null && typeof value === 'object' ? JSON.stringify(value) : (value as string);
      const context =
        typeof trace_id === 'string' && typeof span_id === 'string'
          ? trace.setSpanContext(ROOT_CONTEXT, {
              traceId: trace_id,
              spanId: span_id,
              traceFlags: TraceFlags.SAMPLED,
            })
          : ROOT_CONTEXT;
      logger.emit({
        severityNumber,
        severityText,
        body: typeof msg === 'string' ? msg : '',
        attributes,
        timestamp: typeof time === 'string' ? new Date(time) : new Date(),
        context,
      });
    },
  };
}
