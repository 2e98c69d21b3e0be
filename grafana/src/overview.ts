import { dashboard, latency, rate, series, timeseries } from './panels.ts';

const REQUESTS = 'http_server_request_duration_count';

export default dashboard(
  'assay-overview',
  'Assay — overview',
  'Every process: up, requests, errors, latency, database pool.',
  [
    timeseries('Processes up', 'Whether Prometheus can scrape each process (1 up, 0 down).', 'short', [
      { expr: `max by (job, instance) (${series('up')})`, legend: '{{job}} {{instance}}' },
    ]),
    timeseries('Requests per second', 'HTTP requests served, by service (the gateway included).', 'reqps', [
      { expr: rate(REQUESTS, 'job'), legend: '{{job}}' },
    ]),
    timeseries(
      '5xx per second',
      'Responses with a 5xx status, by service; 0 when there were none.',
      'reqps',
      [
        {
          expr: `${rate(REQUESTS, 'job', 'http_response_status_code=~"5.."')} or ${rate(REQUESTS, 'job')} * 0`,
          legend: '{{job}}',
        },
      ],
    ),
    latency(
      'Request latency',
      'Server-side time per HTTP request, by service.',
      'http_server_request_duration',
    ),
    latency(
      'Outgoing request latency',
      'HTTP requests a process makes: the gateway to its subgraphs, the services to the model.',
      'http_client_request_duration',
    ),
    timeseries(
      'Database pool',
      'PostgreSQL connections of each service by state, and requests waiting for one.',
      'short',
      [
        {
          expr: `sum by (job, state) (${series('db_client_connection_count')})`,
          legend: '{{job}} {{state}}',
        },
        {
          expr: `sum by (job) (${series('db_client_connection_pending_requests')})`,
          legend: '{{job}} waiting',
        },
      ],
    ),
    timeseries(
      'Event-loop delay',
      'How late each process’s event loop ran timers (p99 and max since the previous scrape): a blocked loop delays every request, heartbeat and progress event of that process.',
      's',
      [
        {
          expr: `max by (job, instance) (${series('assay_process_event_loop_delay_seconds', 'stat="p99"')})`,
          legend: '{{job}} {{instance}} p99',
        },
        {
          expr: `max by (job, instance) (${series('assay_process_event_loop_delay_seconds', 'stat="max"')})`,
          legend: '{{job}} {{instance}} max',
        },
      ],
    ),
    timeseries('Resident memory', 'Resident set size of each process.', 'bytes', [
      {
        expr: `max by (job, instance) (${series('assay_process_resident_memory_bytes')})`,
        legend: '{{job}} {{instance}}',
      },
    ]),
  ],
);
