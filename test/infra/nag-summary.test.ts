import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.js';
import { parseDeployConfig } from '../../infra/config.js';
import { AwsSolutionsGate, acknowledge, acknowledgedFindings } from '../../infra/nag.js';

/** `npm run synth` ends with "AwsSolutions: <findings> findings, <n> acknowledged": the counts must be real. */
describe('the synth summary of cdk-nag', () => {
  it('counts zero findings and every acknowledgement of the broker stack', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { nag } = createApp(parseDeployConfig({}), app);
    expect(nag.findings).toBeUndefined();
    app.synth();
    expect(nag.findings).toBe(0);
    expect(acknowledgedFindings(app)).toBeGreaterThan(10);
  });

  it('counts a finding (which fails the synthesis) and only AwsSolutions acknowledgements', () => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    // A queue with no dead-letter queue, no SSL policy, no encryption: several AwsSolutions-SQS findings.
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      'the probe queue needs no dead-letter queue: nothing ever reads it, it only exists here',
    );
    Validations.of(queue).acknowledge({ id: 'SomeWarning', reason: 'not a cdk-nag rule, so not counted' });
    const nag = new AwsSolutionsGate();
    Validations.of(app).addPlugins(nag);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
    expect(nag.findings).toBeGreaterThan(0);
    expect(acknowledgedFindings(app)).toBe(1);
  });
});
