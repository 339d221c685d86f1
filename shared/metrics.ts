/**
 * CloudWatch Embedded Metric Format, written by hand: the broker adds a few counters and durations per invocation
 * and flushes them once, which is all it used of Powertools Metrics (11 KB of every bundle and ~2 ms of a cold
 * start). The blob is the one Powertools wrote, so the deployed metrics keep their namespace, names and dimension.
 */

/** The CloudWatch units the broker's metrics use. */
export const MetricUnit = { Count: 'Count', Milliseconds: 'Milliseconds' } as const;
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** EMF's limits: 100 metric definitions per blob and 100 values per metric. */
const MAX_PER_BLOB = 100;

export interface EmfMetricsOptions {
  namespace: string;
  service: string;
  /** False while logs are text for a person (the local runtime): a blob is noise there. */
  enabled?: () => boolean;
  write?: (line: string) => void;
  now?: () => number;
}

interface StoredMetric {
  unit: MetricUnit;
  values: number[];
}

export class EmfMetrics {
  private readonly stored = new Map<string, StoredMetric>();

  constructor(private readonly options: EmfMetricsOptions) {}

  /** Adds a value; a name added again in the same invocation becomes an array of values, as EMF allows. */
  addMetric(name: string, unit: MetricUnit, value: number): void {
    const stored = this.stored.get(name);
    if (stored) stored.values.push(value);
    else this.stored.set(name, { unit, values: [value] });
  }

  /** Writes what was added as JSON lines on stdout (none when nothing was added), then forgets it. */
  publish(): void {
    if (this.options.enabled?.() === false) {
      this.stored.clear();
      return;
    }
    const write = this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    while (this.stored.size > 0) write(JSON.stringify(this.nextBlob()));
  }

  /** Takes up to 100 names and up to 100 values of each out of the store; what is left goes in the next blob. */
  private nextBlob(): Record<string, unknown> {
    const { namespace, service, now = Date.now } = this.options;
    const definitions: { Name: string; Unit: MetricUnit }[] = [];
    const values: Record<string, number | number[]> = {};
    for (const [name, stored] of this.stored) {
      if (definitions.length === MAX_PER_BLOB) break;
      definitions.push({ Name: name, Unit: stored.unit });
      const taken = stored.values.splice(0, MAX_PER_BLOB);
      values[name] = taken.length === 1 ? (taken[0] as number) : taken;
      if (stored.values.length === 0) this.stored.delete(name);
    }
    return {
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['service']], Metrics: definitions }],
      },
      service,
      ...values,
    };
  }
}
