import { register, type Metric } from 'prom-client';

/**
 * Registers a metric whose `collect` closes over this application's services. Several applications can
 * live in one process (tests boot more than one), so the newest replaces an older one of the same name
 * and `release` removes it only if it is still the registered one.
 */
export function ownMetric<M extends Metric>(create: () => M): { metric: M; release(): void } {
  const metric = create();
  const name = (metric as unknown as { name: string }).name;
  if (register.getSingleMetric(name)) register.removeSingleMetric(name);
  register.registerMetric(metric);
  return {
    metric,
    release: () => {
      if (register.getSingleMetric(name) === metric) register.removeSingleMetric(name);
    },
  };
}
