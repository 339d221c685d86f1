import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Alarm thresholds (documented in docs/architecture.md). */
export const THRESHOLDS = {
  /** Percentage of API requests answered 5xx over 5 minutes, 2 of 3 periods. */
  api5xxPercent: 5,
  /** p99 of the launch function's duration over 5 minutes, 3 of 3 periods. */
  launchP99Ms: 5_000,
} as const;

export interface ObservabilityProps {
  stage: apigw.HttpStage;
  /** The `GET /launch/{token}` function, if deployed. */
  launch: lambda.IFunction | undefined;
  /** Functions that call appliances (by name), except the sync. */
  applianceFacing: [string, lambda.IFunction][];
  sync: lambda.IFunction | undefined;
  syncDeadLetterQueue: sqs.IQueue | undefined;
  /** Every function, for the throttle alarms. */
  all: [string, lambda.IFunction][];
  alarmEmail?: string | undefined;
  alarmTopicArn?: string | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * CloudWatch alarms on what an operator must act on: API 5xx rate, launch latency, appliance-facing function
 * errors, sync failures (function errors and undeliverable schedules), throttles. With `alarmEmail` a KMS-encrypted
 * SNS topic of this stack notifies; with `alarmTopicArn` an existing topic does.
 */
export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly topic: sns.ITopic | undefined;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = this.createTopic(props);

    const requests = props.stage.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' });
    const serverErrors = props.stage.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.add('Api5xxRate', {
      alarmDescription: `More than ${THRESHOLDS.api5xxPercent}% of API requests answered 5xx (appliance 502/504 included)`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { requests, errors: serverErrors },
        period: FIVE_MINUTES,
        label: 'API 5xx %',
      }),
      threshold: THRESHOLDS.api5xxPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });

    if (props.launch) {
      this.add('LaunchLatencyP99', {
        alarmDescription: `p99 of the launch click above ${THRESHOLDS.launchP99Ms} ms: appliances or sessions are slow`,
        metric: props.launch.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }),
        threshold: THRESHOLDS.launchP99Ms,
        evaluationPeriods: 3,
      });
    }

    for (const [name, fn] of props.applianceFacing) {
      this.add(`ApplianceErrors-${name}`, {
        alarmDescription: `${name}: invocations failed (unhandled error or timeout while talking to appliances)`,
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }

    if (props.sync) {
      this.add('SyncErrors', {
        alarmDescription: 'The inventory sync failed (unhandled error or timeout)',
        metric: props.sync.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }
    if (props.syncDeadLetterQueue) {
      this.add('SyncUndelivered', {
        alarmDescription:
          'Scheduled syncs could not be delivered to the function (dead-letter queue not empty)',
        metric: props.syncDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: 'Maximum',
        }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }

    // A metric math alarm takes at most 10 metrics: one alarm per group of 10 functions.
    for (let start = 0, group = 1; start < props.all.length; start += 10, group++) {
      const chunk = props.all.slice(start, start + 10);
      const usingMetrics = Object.fromEntries(
        chunk.map(([, fn], index) => [
          `t${index}`,
          fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        ]),
      );
      this.add(`Throttles${group}`, {
        alarmDescription: `Lambda throttles in ${chunk.map(([name]) => name).join(', ')}`,
        metric: new cloudwatch.MathExpression({
          expression: Object.keys(usingMetrics)
            .map((key) => `FILL(${key}, 0)`)
            .join(' + '),
          usingMetrics,
          period: FIVE_MINUTES,
          label: 'Throttles',
        }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }
  }

  private add(
    id: string,
    props: Omit<cloudwatch.AlarmProps, 'comparisonOperator' | 'treatMissingData'>,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      alarm.addOkAction(new actions.SnsAction(this.topic));
    }
    this.alarms.push(alarm);
  }

  private createTopic(props: ObservabilityProps): sns.ITopic | undefined {
    if (props.alarmTopicArn) return sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    if (!props.alarmEmail) return undefined;
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Console Launch Broker alarm topic encryption',
      enableKeyRotation: true,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Console Launch Broker alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    return topic;
  }
}
