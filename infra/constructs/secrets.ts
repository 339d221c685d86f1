import { join } from 'node:path';
import { ArnFormat, CustomResource, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { BrokerFunction, PROJECT_ROOT } from './broker-function.js';

export interface SecretsProps {
  /** `console-launch-broker/`: the keys secret is `<prefix>keys`, appliance credentials `<prefix>appliances/<id>`. */
  namePrefix: string;
  removalPolicy: RemovalPolicy;
  logRetention: logs.RetentionDays;
  bundleAwsSdk: boolean;
}

/**
 * The broker keys secret (`{sessionKey, apiKeyPepper}`, filled at deploy time by a custom resource, never by a
 * template value) and the name prefix under which the operator CLI creates one secret per appliance.
 */
export class Secrets extends Construct {
  readonly keys: secretsmanager.Secret;
  /** The custom resource that writes the keys; functions reading them depend on it. */
  readonly keysReady: CustomResource;
  /** `APPLIANCE_SECRET_PREFIX`: appliance `<id>`'s credentials are the secret named `<prefix><id>`. */
  readonly applianceSecretPrefix: string;
  /** ARN pattern of every appliance credential secret (the 6-character suffix Secrets Manager adds included). */
  readonly applianceSecretArnPattern: string;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    this.applianceSecretPrefix = `${props.namePrefix}appliances/`;
    this.applianceSecretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.applianceSecretPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    // CloudFormation generates a random placeholder; the custom resource replaces it with the key document.
    this.keys = new secretsmanager.Secret(this, 'Keys', {
      secretName: `${props.namePrefix}keys`,
      description:
        'Console Launch Broker keys: sessionKey (seals appliance JWTs) and apiKeyPepper (API key hashes)',
      removalPolicy: props.removalPolicy,
    });

    const init = new BrokerFunction(this, 'KeysInit', {
      entry: join(PROJECT_ROOT, 'infra', 'handlers', 'broker-keys-init.ts'),
      description: 'Deploy-time custom resource: writes the broker keys once, never overwrites valid keys',
      memoryMb: 256,
      timeout: Duration.seconds(60),
      environment: {},
      statements: [
        new iam.PolicyStatement({
          sid: 'InitialiseKeys',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          resources: [this.keys.secretArn],
        }),
      ],
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      bundleAwsSdk: props.bundleAwsSdk,
    });
    this.keysReady = new CustomResource(this, 'KeysReady', {
      serviceToken: init.fn.functionArn,
      resourceType: 'Custom::BrokerKeys',
      properties: { SecretId: this.keys.secretArn },
    });

    acknowledge(
      this.keys,
      'AwsSolutions-SMG4',
      'apiKeyPepper is the HMAC key of every stored API key hash and sessionKey seals the cached appliance ' +
        'sessions, so an automatic rotation would invalidate every API key at once; rotation is an operator ' +
        'procedure that re-issues client keys (docs/deploy.md). Appliance credential secrets are not created ' +
        'by this stack; they are rotated by re-adding the appliance with the operator CLI.',
    );
  }
}
