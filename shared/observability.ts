import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'console-launch-broker';
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

/** The one logger of the process (Powertools, JSON lines). */
export const logger = new Logger({ serviceName: SERVICE, jsonReplacerFn: redact });

/** The one metrics emitter of the process (CloudWatch EMF). Most requests add no metric: that is not news. */
export const metrics = new Metrics({
  serviceName: SERVICE,
  namespace: NAMESPACE,
  logger: {
    debug: (...args: unknown[]) => logger.debug(String(args[0])),
    info: (...args: unknown[]) => logger.info(String(args[0])),
    error: (...args: unknown[]) => logger.error(String(args[0])),
    warn: (...args: unknown[]) => {
      const message = String(args[0]);
      if (message.startsWith('No application metrics')) logger.debug(message);
      else logger.warn(message);
    },
  },
});

/** The one tracer of the process (X-Ray; inert outside Lambda). */
export const tracer = new Tracer({ serviceName: SERVICE });
