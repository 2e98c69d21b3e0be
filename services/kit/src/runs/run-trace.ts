import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * Work done for a run outside any request of it (the watchdog's recovery), traced as a span of the
 * run's own trace, so a run keeps one trace across attempts. Its parent is the run's trace id under
 * a made-up span id: the request that started the run is long over.
 */
export function inRunTrace<T>(
  name: string,
  run: { id: string; traceId: string | null },
  fn: () => Promise<T>,
): Promise<T> {
  const parent =
    run.traceId && TRACE_ID.test(run.traceId)
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: run.traceId,
          spanId: randomBytes(8).toString('hex'),
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
  return trace
    .getTracer('assay')
    .startActiveSpan(name, { attributes: { 'assay.run.id': run.id } }, parent, async (span) => {
      try {
        return await fn();
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
}
