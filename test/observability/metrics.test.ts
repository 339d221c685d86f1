import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { observability } from '../../functions/lib/middlewares.js';
import { EmfMetrics, MetricUnit } from '../../shared/metrics.js';
import { metrics as processMetrics } from '../../shared/observability.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
  vi.restoreAllMocks();
});

/** An emitter whose lines are collected, at a fixed time; `enabled` is asked at each publish. */
function emitter(enabled: () => boolean = () => true) {
  const lines: string[] = [];
  const metrics = new EmfMetrics({
    namespace: 'TestNamespace',
    service: 'test-service',
    enabled,
    write: (line) => lines.push(line),
    now: () => 1_700_000_000_000,
  });
  return { metrics, lines, blobs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('EMF metrics', () => {
  it('writes one blob per publish: namespace, the service dimension, each metric with its unit and value', () => {
    const { metrics, blobs } = emitter();
    metrics.addMetric('LaunchRefused', MetricUnit.Count, 1);
    metrics.addMetric('SyncDuration', MetricUnit.Milliseconds, 250);
    metrics.publish();
    expect(blobs()).toEqual([
      {
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: 'TestNamespace',
              Dimensions: [['service']],
              Metrics: [
                { Name: 'LaunchRefused', Unit: 'Count' },
                { Name: 'SyncDuration', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        service: 'test-service',
        LaunchRefused: 1,
        SyncDuration: 250,
      },
    ]);
  });

  it('gives a metric added more than once an array of values, defined once', () => {
    const { metrics, blobs } = emitter();
    for (const devices of [3, 0, 7]) metrics.addMetric('SyncDevices', MetricUnit.Count, devices);
    metrics.publish();
    const [blob] = blobs();
    expect(blob).toMatchObject({ SyncDevices: [3, 0, 7] });
    expect(blob?._aws).toMatchObject({
      CloudWatchMetrics: [{ Metrics: [{ Name: 'SyncDevices', Unit: 'Count' }] }],
    });
  });

  it('splits past EMF limits: 100 metric names and 100 values per blob', () => {
    const { metrics, blobs } = emitter();
    for (let index = 0; index < 101; index++) metrics.addMetric(`Metric${index}`, MetricUnit.Count, index);
    for (let index = 0; index < 150; index++) metrics.addMetric('Repeated', MetricUnit.Count, index);
    metrics.publish();
    const written = blobs();
    expect(written).toHaveLength(3);
    const names = written.map((blob) =>
      (
        blob._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
      ).CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name),
    );
    expect(names[0]).toHaveLength(100);
    expect(names.slice(1)).toEqual([['Metric100', 'Repeated'], ['Repeated']]);
    expect(written[1]?.Metric100).toBe(100);
    expect(written[1]?.Repeated).toEqual(Array.from({ length: 100 }, (_, index) => index));
    expect(written[2]?.Repeated).toEqual(Array.from({ length: 50 }, (_, index) => 100 + index));
  });

  it('writes nothing when nothing was added, and forgets what it published', () => {
    const { metrics, blobs } = emitter();
    metrics.publish();
    expect(blobs()).toEqual([]);
    metrics.addMetric('LaunchConfirmShown', MetricUnit.Count, 1);
    metrics.publish();
    metrics.publish();
    expect(blobs()).toHaveLength(1);
  });

  it('writes nothing while disabled (text logs) and drops what was added meanwhile', () => {
    let enabled = false;
    const { metrics, lines } = emitter(() => enabled);
    metrics.addMetric('LaunchRefused', MetricUnit.Count, 1);
    metrics.publish();
    enabled = true;
    metrics.publish();
    expect(lines).toEqual([]);
  });

  it("takes the process's namespace and service from the stack's POWERTOOLS_ variables, one line on stdout", async () => {
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'StackNamespace');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'stack-service');
    const { metrics } = await import('../../shared/observability.js');
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    metrics.addMetric('LaunchRefused', MetricUnit.Count, 1);
    metrics.publish();
    vi.restoreAllMocks();
    expect(stdout.endsWith('\n')).toBe(true);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'StackNamespace', Dimensions: [['service']] }] },
      service: 'stack-service',
      LaunchRefused: 1,
    });
  });

  it("is flushed by the handlers' middleware after an answer and after an error", async () => {
    const answers = middy(async () => {
      processMetrics.addMetric('LaunchConfirmShown', MetricUnit.Count, 1);
      return { statusCode: 200 };
    }).use(observability());
    const fails = middy(async () => {
      processMetrics.addMetric('LaunchApplianceFailed', MetricUnit.Count, 1);
      throw new Error('appliance down');
    }).use(observability());
    const context = { functionName: 'launch', awsRequestId: 'r' } as Context;

    const blobs = await stdoutBlobs(async () => {
      await answers({}, context);
      await expect(fails({}, context)).rejects.toThrow('appliance down');
    });
    expect(blobs.map((blob) => Object.keys(blob).filter((key) => key.startsWith('Launch')))).toEqual([
      ['LaunchConfirmShown'],
      ['LaunchApplianceFailed'],
    ]);
  });
});

/** The metric blobs written to stdout while `run` runs (log lines left out). */
async function stdoutBlobs(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => '_aws' in line);
}
