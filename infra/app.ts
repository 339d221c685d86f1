import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { routeList } from '../functions/routes.js';
import { CONTEXT_KEY, type DeployConfig, loadDeployConfig } from './config.js';
import { AwsSolutionsGate, acknowledgedFindings } from './nag.js';
import { ConsoleLaunchBrokerStack } from './stack.js';

/** The stack of a configuration in an app checked by cdk-nag's AWS Solutions pack. */
export function createApp(
  config: DeployConfig,
  app = new App(),
): { app: App; stack: ConsoleLaunchBrokerStack; nag: AwsSolutionsGate } {
  const account = config.env?.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = config.env?.region ?? process.env.CDK_DEFAULT_REGION;
  const stack = new ConsoleLaunchBrokerStack(app, config.stackName, {
    config,
    routes: routeList,
    description: 'Console Launch Broker: one-click remote consoles on Avocent DSView appliances',
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  });
  // Findings (errors and warnings) fail the synthesis; acknowledgements in the constructs carry their reasons.
  const nag = new AwsSolutionsGate();
  Validations.of(app).addPlugins(nag);
  return { app, stack, nag };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const app = new App();
  const rootDir = fileURLToPath(new URL('..', import.meta.url));
  const { config, source } = loadDeployConfig({ rootDir, context: app.node.tryGetContext(CONTEXT_KEY) });
  process.stderr.write(`console-launch-broker: deploy configuration from ${source}\n`);
  const { stack, nag } = createApp(config, app);
  const assembly = app.synth();
  // `cdk synth --quiet` prints nothing on success: say what was written and what was checked, in one line.
  const template = assembly.getStackByName(stack.stackName).template as { Resources?: object };
  const checked =
    nag.findings === undefined
      ? 'AwsSolutions: not run'
      : `AwsSolutions: ${nag.findings} findings, ${acknowledgedFindings(app)} acknowledged`;
  process.stderr.write(
    `console-launch-broker: ${stack.stackName} synthesized to ${relative(process.cwd(), assembly.directory) || '.'} ` +
      `(${Object.keys(template.Resources ?? {}).length} resources); ${checked}\n`,
  );
}
