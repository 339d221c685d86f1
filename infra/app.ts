import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { routeList } from '../functions/routes.js';
import { CONTEXT_KEY, type DeployConfig, loadDeployConfig } from './config.js';
import { ConsoleLaunchBrokerStack } from './stack.js';

/** The stack of a configuration in an app checked by cdk-nag's AWS Solutions pack. */
export function createApp(
  config: DeployConfig,
  app = new App(),
): { app: App; stack: ConsoleLaunchBrokerStack } {
  const account = config.env?.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = config.env?.region ?? process.env.CDK_DEFAULT_REGION;
  const stack = new ConsoleLaunchBrokerStack(app, config.stackName, {
    config,
    routes: routeList,
    description: 'Console Launch Broker: one-click remote consoles on Avocent DSView appliances',
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  });
  // Findings (errors and warnings) fail the synthesis; acknowledgements in the constructs carry their reasons.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const app = new App();
  const rootDir = fileURLToPath(new URL('..', import.meta.url));
  const { config, source } = loadDeployConfig({ rootDir, context: app.node.tryGetContext(CONTEXT_KEY) });
  process.stderr.write(`console-launch-broker: deploy configuration from ${source}\n`);
  createApp(config, app);
  app.synth();
}
