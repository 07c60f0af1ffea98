import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one service instance. Each instance has its own registry, so two instances
 * started in one process (the tests do) never share or clash on counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'bourse_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'bourse_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status (long-polls included)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly openLongPolls = new Gauge({
    name: 'bourse_long_polls_open',
    help: 'Long-poll calls currently waiting',
    registers: [this.registry],
  });
  readonly matcherShard = new Gauge({
    name: 'bourse_matcher_subscriptions',
    help: "Demands and offers this instance's matcher owns and indexes (its shard of the market), by kind",
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly redisErrors = new Counter({
    name: 'bourse_redis_errors_total',
    help: 'Redis connection errors and commands that failed because Redis was unreachable',
    registers: [this.registry],
  });

  readonly invocations = new Counter({
    name: 'bourse_invocations_total',
    help: 'Service invocations accepted on the invoke face, by kind (free or paid)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'bourse_webhook_deliveries_total',
    help: 'Invocation webhook delivery attempts by outcome (delivered, failed, refused, abandoned)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'bourse_' });
  }
}
