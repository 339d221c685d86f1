import type { LogItem } from '@aws-lambda-powertools/logger';
import { Logger } from '@aws-lambda-powertools/logger';
import { EmfMetrics } from './metrics.js';

export const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'console-launch-broker';
const NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ConsoleLaunchBroker';

/** Keys whose values are secrets wherever they appear in a log entry. */
const SECRET_KEY = /pass(word)?|jwt|ticket|token|api_?key|authorization|secret|cookie|pepper|credential/i;
/** Values that look like secrets even under an innocent key: bearer headers and JWTs. */
const SECRET_VALUE = /Bearer\s+\S+|eyJ[\w-]+\.[\w-]+\.[\w-]+/g;

/** The redaction step of every log line: secret-named keys are masked, JWT- and bearer-shaped text replaced. */
export function redact(key: string, value: unknown): unknown {
  if (key && SECRET_KEY.test(key) && !/^(ticketIssued|tokenHashPrefix)$/.test(key)) {
    return value === undefined || value === null ? value : '[redacted]';
  }
  return typeof value === 'string' ? value.replace(SECRET_VALUE, '[redacted]') : value;
}

/** JSON lines on stdout (Lambda, CloudWatch) or short text lines on stderr (a person at a terminal). */
export type LogFormat = 'json' | 'text';
let format: LogFormat = 'json';

/**
 * Called by the local runtime only: text for a person unless BROKER_LOG_FORMAT=json asks for Lambda's lines
 * (metric blobs included). In Lambda nothing calls this, so nothing changes there.
 */
export function useLocalLogFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  format = env.BROKER_LOG_FORMAT === 'json' ? 'json' : 'text';
  return format;
}

/** Attributes every Lambda line carries that a person reading a terminal does not need. */
const TEXT_HIDDEN = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_name',
  'function_memory_size',
  'function_arn',
  'function_request_id',
]);

/** One log entry as a short line: `12:00:01.234 WARN  message key=value …`, redacted as the JSON is. */
export function textLine(attributes: Record<string, unknown>): string {
  const time = String(attributes.timestamp ?? new Date().toISOString()).slice(11, 23);
  const level = String(attributes.level ?? 'INFO').padEnd(5);
  const fields = Object.entries(attributes)
    .filter(([key, value]) => !TEXT_HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldText(key, value)}`);
  return [time, level, redact('', String(attributes.message ?? '')), ...fields].join(' ');
}

function fieldText(key: string, value: unknown): string {
  const redacted = redact(key, value);
  if (typeof redacted === 'string') return /\s/.test(redacted) ? JSON.stringify(redacted) : redacted;
  if (key === 'error' && redacted && typeof redacted === 'object') {
    const { name, message } = redacted as { name?: unknown; message?: unknown };
    return JSON.stringify(`${String(name ?? 'Error')}: ${String(message ?? '')}`);
  }
  return JSON.stringify(redacted, redact) ?? String(redacted);
}

class BrokerLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    if (format === 'json') {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    process.stderr.write(`${textLine(log.getAttributes())}\n`);
  }
}

/** The one logger of the process (Powertools, JSON lines in Lambda). */
export const logger: Logger = new BrokerLogger({ serviceName: SERVICE, jsonReplacerFn: redact });

/**
 * The one metrics emitter of the process (CloudWatch EMF, flushed after each invocation). In text format its blobs
 * are dropped, as a person could not read them anyway.
 */
export const metrics: EmfMetrics = new EmfMetrics({
  namespace: NAMESPACE,
  service: SERVICE,
  enabled: () => format === 'json',
});
