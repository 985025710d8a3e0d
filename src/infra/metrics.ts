/**
 * The process's one Prometheus registry and the helpers that register on it. Every part that measures
 * (the lifecycle, HTTP, the gateway, the scrape-time gauges) registers here, so /metrics shows them all
 * and a standalone worker can serve the same set. Process metrics keep prom-client's standard names
 * (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...) so stock Node.js dashboards work.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The metric of that name on the registry, made on first use: an app built twice on one context (the
 * tests do) measures into the same series instead of failing on a duplicate name.
 */
function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function histogram<L extends string>(registry: Registry, config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
  return once(registry, config.name, () => new Histogram({ ...config, registers: [registry] }));
}

export function counter<L extends string>(registry: Registry, config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
  return once(registry, config.name, () => new Counter({ ...config, registers: [registry] }));
}

export function gauge<L extends string>(registry: Registry, config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return once(registry, config.name, () => new Gauge({ ...config, registers: [registry] }));
}

/** Seconds buckets for lifecycle operations: a container starts in seconds, a Heat stack in minutes. */
export const OPERATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 900, 1800];
