// Time: the per-session deadlines (one-time `at()` schedules in their own schedule group,
// created at run time by the functions that need `timers`, fired by EventBridge Scheduler into
// the expire function) and the `rate(1 minute)` schedule that keeps the tick alive.
// Both deliver undeliverable invocations to one dead-letter queue, which has an alarm.
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

const SCHEDULER = 'scheduler.amazonaws.com';

export class Timers extends Construct {
  /** Holds only the per-session deadlines; the functions may write nothing outside it. */
  readonly group: ScheduleGroup;
  readonly deadLetterQueue: Queue;
  /** The role the deadlines run as: it may invoke the expire function and nothing else. */
  readonly schedulerRole: iam.Role;
  /**
   * The expire function's name, fixed from the stack's name. The expire function re-arms its own
   * deadline, so it needs its own ARN in its environment; a reference to its own resource would
   * be a cycle, so the ARN is built from this name instead.
   */
  readonly expireFunctionName: string;
  readonly expireFunctionArn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.stackName) || stack.stackName.length > 57) {
      throw new Error('The stack needs a literal name of at most 57 characters (the expire function is named after it)');
    }
    this.expireFunctionName = `${stack.stackName}-Expire`;
    this.expireFunctionArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: this.expireFunctionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.deadLetterQueue = new Queue(this, 'TimerDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.group = new ScheduleGroup(this, 'TimerScheduleGroup', {});

    this.schedulerRole = new iam.Role(this, 'TimerSchedulerRole', {
      description: 'EventBridge Scheduler: fires the per-session deadlines into the expire function',
      // Confused-deputy guard: only schedules of this account's timer group may assume it.
      assumedBy: new iam.ServicePrincipal(SCHEDULER, {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': this.group.scheduleGroupArn,
          },
        },
      }),
    });
    // Scheduler writes failed deliveries to the DLQ with the schedule's own role.
    this.deadLetterQueue.grant(this.schedulerRole, 'sqs:SendMessage');
  }

  /** The variables the timer code reads (functions/config.ts). */
  environment(): Record<string, string> {
    return {
      SCHEDULE_GROUP: this.group.scheduleGroupName,
      EXPIRE_FUNCTION_ARN: this.expireFunctionArn,
      SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      TIMER_DLQ_ARN: this.deadLetterQueue.queueArn,
    };
  }

  /** The expire function (named `expireFunctionName`) is the deadlines' only target. */
  setExpireFunction(fn: lambda.IFunction): void {
    fn.grantInvoke(this.schedulerRole);
  }

  /**
   * Create, update, read and delete schedules in the timer group only, and pass the scheduler
   * role (only to EventBridge Scheduler).
   */
  grantTimerWrites(grantee: iam.IGrantable): void {
    this.group.grants.writeSchedules(grantee); // scheduler:CreateSchedule, scheduler:UpdateSchedule
    this.group.grants.deleteSchedules(grantee); // scheduler:DeleteSchedule
    // grants.readSchedules would add ListSchedules, which cannot be scoped and is not called.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:GetSchedule'],
      resourceArns: [this.schedulesArn()],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.schedulerRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER } },
    });
  }

  /** rate(1 minute): the tick loops inside each invocation, so one a minute keeps it alive. */
  scheduleTick(tick: lambda.IFunction): Schedule {
    const stack = Stack.of(this);
    const defaultGroupArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule-group',
      resourceName: 'default',
    });
    const role = new iam.Role(this, 'TickSchedulerRole', {
      description: 'EventBridge Scheduler: invokes the tick once a minute',
      assumedBy: new iam.ServicePrincipal(SCHEDULER, {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': defaultGroupArn },
        },
      }),
    });
    return new Schedule(this, 'TickSchedule', {
      description: 'Minute Credits: keeps the tick loop running (one invocation a minute)',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new LambdaInvoke(tick, {
        role,
        deadLetterQueue: this.deadLetterQueue,
        // A late or retried tick would overlap the next one: the next minute's tick is the retry.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });
  }

  private schedulesArn(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.group.scheduleGroupName}/*`,
    });
  }
}
