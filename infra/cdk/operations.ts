// Operations: alarms to one SNS topic (optionally e-mailed, `-c alarmEmail=…`):
// - each function's errors (any error in 5 minutes);
// - tick lateness: MinuteCredits/TickLatenessMs (Maximum, no dimensions), emitted by the tick
//   through the embedded metric format, above `tickLatenessAlarmMs` in 2 of 3 minutes;
// - the tick not running at all (no invocation in 5 minutes), which the lateness metric cannot
//   show, since a dead tick emits nothing;
// - anything in the timer dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Metric,
  TreatMissingData,
  type IAlarmAction,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export const TICK_LATENESS_NAMESPACE = 'MinuteCredits';
export const TICK_LATENESS_METRIC = 'TickLatenessMs';

export interface OperationsProps {
  readonly functions: ReadonlyArray<{ readonly id: string; readonly fn: lambda.IFunction }>;
  readonly tick: lambda.IFunction;
  readonly deadLetterQueue: IQueue;
  readonly tickLatenessAlarmMs: number;
  readonly alarmEmail: string | undefined;
}

export class Operations extends Construct {
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'Minute Credits alarms', enforceSSL: true });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    }
    const action: IAlarmAction = new SnsAction(this.alarmTopic);
    const notify = (created: Alarm): void => {
      created.addAlarmAction(action);
      created.addOkAction(action);
    };

    for (const { id: fnId, fn } of props.functions) {
      notify(
        new Alarm(this, `${fnId}ErrorsAlarm`, {
          alarmDescription: `${fnId}: the function failed (error or timeout) in the last 5 minutes`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    notify(
      new Alarm(this, 'TickLatenessAlarm', {
        alarmDescription: `Charges are late: the oldest due charge waited more than ${props.tickLatenessAlarmMs} ms`,
        metric: new Metric({
          namespace: TICK_LATENESS_NAMESPACE,
          metricName: TICK_LATENESS_METRIC,
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: props.tickLatenessAlarmMs,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    notify(
      new Alarm(this, 'TickNotRunningAlarm', {
        alarmDescription: 'The tick was not invoked for 5 minutes: charges wait for the per-session timers',
        metric: props.tick.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
      }),
    );

    notify(
      new Alarm(this, 'TimerDeadLetterAlarm', {
        alarmDescription: 'A scheduled invocation (session deadline or tick) could not be delivered',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
