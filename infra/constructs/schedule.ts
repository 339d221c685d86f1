import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface ScheduleProps {
  /** The inventory sync function. */
  target: lambda.IFunction;
  /** `rate(15 minutes)` or `cron(...)`. */
  expression: string;
}

/**
 * The payload of a scheduled sync: the sync handler tells it from an API Gateway event (which has
 * `requestContext`) by `source`.
 */
export const SCHEDULED_SYNC_EVENT = {
  source: 'console-launch-broker.scheduler',
  action: 'inventory-sync',
} as const;

/**
 * EventBridge Scheduler runs the inventory sync: two retries, events older than an hour dropped into an
 * encrypted, TLS-only dead-letter queue kept for 14 days. The scheduler's role may invoke exactly the sync
 * function (not its versions) and send to exactly the dead-letter queue.
 */
export class Schedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly deadLetterQueue: sqs.Queue;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the sync schedule; a DLQ of a DLQ adds nothing.',
    );
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: 'EventBridge Scheduler: runs the Console Launch Broker inventory sync',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
      inlinePolicies: {
        access: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'InvokeSync',
              actions: ['lambda:InvokeFunction'],
              resources: [props.target.functionArn],
            }),
            new iam.PolicyStatement({
              sid: 'DeadLetters',
              actions: ['sqs:SendMessage'],
              resources: [this.deadLetterQueue.queueArn],
            }),
          ],
        }),
      },
    });
    this.schedule = new scheduler.Schedule(this, 'InventorySync', {
      description: 'Console Launch Broker: inventory sync of every registered appliance',
      schedule: scheduler.ScheduleExpression.expression(props.expression),
      target: new targets.LambdaInvoke(props.target, {
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULED_SYNC_EVENT),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.deadLetterQueue,
        // Immutable: the target's own grants (which add `<function>:*`) are dropped; the inline policy is all.
        role: this.role.withoutPolicyUpdates(),
      }),
    });
  }
}
