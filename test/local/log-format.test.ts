import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, metrics, textLine, useLocalLogFormat } from '../../shared/observability.js';

afterEach(() => {
  useLocalLogFormat({ BROKER_LOG_FORMAT: 'json' });
  vi.restoreAllMocks();
});

/** What the logger and metrics write to each stream while `run` runs. */
function written(run: () => void): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    vi.spyOn(process[name], 'write').mockImplementation((chunk: string | Uint8Array) => {
      out[name] += String(chunk);
      return true;
    });
  }
  run();
  vi.restoreAllMocks();
  return out;
}

describe('local log format', () => {
  it('is one short text line on stderr: time, level, message, the useful fields, secrets redacted', () => {
    expect(useLocalLogFormat({})).toBe('text');
    const { stdout, stderr } = written(() =>
      logger.warn('appliance session login', { applianceId: 'lab', durationMs: 12, password: 'hunter2' }),
    );
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}appliance session login applianceId=lab durationMs=12 password=\[redacted\]\n$/,
    );
  });

  it('drops metric blobs in text format; BROKER_LOG_FORMAT=json restores the Lambda lines and the blobs', () => {
    useLocalLogFormat({});
    const text = written(() => {
      metrics.addMetric('LaunchSucceeded', 'Count', 1);
      metrics.publish();
    });
    expect(text.stdout + text.stderr).toBe('');

    expect(useLocalLogFormat({ BROKER_LOG_FORMAT: 'json' })).toBe('json');
    const json = written(() => {
      logger.info('hello', { applianceId: 'lab' });
      metrics.addMetric('LaunchSucceeded', 'Count', 1);
      metrics.publish();
    });
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'hello', applianceId: 'lab' });
    expect(lines[1]).toHaveProperty('_aws');
  });

  it('textLine keeps nested fields compact and quotes text with spaces', () => {
    expect(
      textLine({
        level: 'ERROR',
        message: 'inventory sync',
        timestamp: '2026-01-02T03:04:05.678Z',
        service: 'console-launch-broker',
        sync: { applianceId: 'lab', devices: 3 },
        reason: 'timed out',
        error: { name: 'ApplianceTimeout', message: 'no answer in 5000 ms', stack: 'at …' },
      }),
    ).toBe(
      '03:04:05.678 ERROR inventory sync sync={"applianceId":"lab","devices":3} reason="timed out" error="ApplianceTimeout: no answer in 5000 ms"',
    );
  });
});
