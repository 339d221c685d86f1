import { logger } from '../../shared/observability.js';
import { runCli } from './cli.js';

/**
 * `npm run cli -- …` and the `console-launch-broker` bin. The broker's JSON logs stay off: the CLI reports to
 * the operator on stdout/stderr itself.
 */
logger.setLogLevel('SILENT');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
