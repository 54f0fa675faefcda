// The whole product in one stack, composed of one construct per concern: data (network,
// PostgreSQL, RDS Proxy, Upstash secret, migrations), api (HTTP and WebSocket APIs, JWT key),
// timers (deadline schedules, tick schedule, DLQ), site (bucket, CloudFront, deployment) and
// operations (alarms). One stack, because the site needs the API URLs (config.json) and the API
// needs the site's origin (CORS): across stacks that would be a cycle of exports.
//
// Every function comes from the route table (functions/routes.ts) through AppFunctions, so
// the cloud and the local gateway cannot drift.
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { expireFunction, httpRoutes, tickFunction, wsRoutes } from '../../functions/routes';
import { Api } from './api';
import { Data } from './data';
import { AppFunctions } from './functions';
import { Operations } from './operations';
import { readSettings } from './settings';
import { Site } from './site';
import { Timers } from './timers';

/** bcrypt at 12 rounds needs a whole vCPU (1,769 MB) to stay near 300 ms. */
const BCRYPT_ROUTE_IDS = new Set(['AuthSignup', 'AuthLogin']);

export class MinuteCreditsStack extends Stack {
  readonly api: Api;
  readonly site: Site;
  readonly data: Data;
  readonly timers: Timers;
  /** Every function that serves traffic or runs on a schedule, by route-table id. */
  readonly appFunctions: ReadonlyArray<{ readonly id: string; readonly fn: lambda.Function }>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const settings = readSettings(this.node);

    this.data = new Data(this, 'Data', { database: settings.database, nat: settings.nat });
    this.site = new Site(this, 'Site');
    this.timers = new Timers(this, 'Timers');
    this.api = new Api(this, 'Api', { siteOrigin: this.site.origin, logRetention: settings.logRetention });

    const functions = new AppFunctions({
      vpc: this.data.vpc,
      databaseClientSecurityGroup: this.data.databaseClientSecurityGroup,
      database: {
        host: this.data.proxy.endpoint,
        name: this.data.databaseName,
        secret: this.data.databaseSecret,
      },
      upstashSecret: this.data.upstashSecret,
      webSocketStage: this.api.webSocketStage,
      timers: this.timers,
      logRetention: settings.logRetention,
    });
    const migrations = this.data.addMigrations(functions, settings.logRetention);

    const common: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: settings.logLevel,
      CREDIT_PERIOD_MS: String(settings.creditPeriodMs),
      TICK_MS: String(settings.tickMs),
    };
    // Lambda runs one request per environment at a time: a small pool is enough, and the proxy
    // multiplexes the connections of all environments onto the database.
    const requestEnv: Record<string, string> = {
      ...common,
      ALLOWED_ORIGINS: this.site.origin,
      ADMIN_EMAILS: settings.adminEmails,
      DATABASE_POOL_MAX: '2',
    };

    const built: Array<{ id: string; fn: lambda.Function }> = [];
    for (const route of httpRoutes) {
      const fn = functions.create(this.api, {
        ...route,
        memoryMb: BCRYPT_ROUTE_IDS.has(route.id) ? 1769 : 512,
        timeout: Duration.seconds(10),
        environment: requestEnv,
        jwtSecret: this.api.jwtSecret,
        description: `Minute Credits: ${route.method} ${route.path}`,
      });
      this.api.addHttpRoute(route, fn);
      built.push({ id: route.id, fn });
    }
    for (const route of wsRoutes) {
      const fn = functions.create(this.api, {
        ...route,
        memoryMb: 512,
        timeout: Duration.seconds(10),
        environment: requestEnv,
        jwtSecret: this.api.jwtSecret,
        description: `Minute Credits: WebSocket ${route.routeKey}`,
      });
      this.api.addWsRoute(route, fn);
      built.push({ id: route.id, fn });
    }

    const expire = functions.create(this.timers, {
      ...expireFunction,
      functionName: this.timers.expireFunctionName,
      memoryMb: 512,
      timeout: Duration.seconds(30),
      environment: { ...common, DATABASE_POOL_MAX: '2' },
      description: 'Minute Credits: settles a session at its deadline (EventBridge Scheduler)',
    });
    this.timers.setExpireFunction(expire);
    built.push({ id: expireFunction.id, fn: expire });

    // The tick loops for most of its minute; the next one starts as it ends.
    const tick = functions.create(this.timers, {
      ...tickFunction,
      memoryMb: settings.tickMemoryMb,
      timeout: Duration.seconds(75),
      environment: { ...common, DATABASE_POOL_MAX: '4' },
      description: 'Minute Credits: the tick (charges due sessions, pushes updates)',
    });
    this.timers.scheduleTick(tick);
    built.push({ id: tickFunction.id, fn: tick });

    // No new code runs against an old schema: functions are created or updated after migrating.
    for (const { fn } of built) fn.node.addDependency(migrations);
    this.appFunctions = built;

    this.site.deploy({ apiUrl: this.api.apiUrl, wsUrl: this.api.wsUrl }, settings.logRetention);

    new Operations(this, 'Operations', {
      functions: built,
      tick,
      deadLetterQueue: this.timers.deadLetterQueue,
      tickLatenessAlarmMs: settings.tickLatenessAlarmMs,
      alarmEmail: settings.alarmEmail,
    });

    new CfnOutput(this, 'SiteUrl', { value: this.site.origin, description: 'The site (CloudFront)' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiUrl, description: 'HTTP API base URL (paths start with /api)' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.api.wsUrl, description: 'WebSocket URL (?token=JWT)' });
    new CfnOutput(this, 'UpstashSecretArn', {
      value: this.data.upstashSecret.secretArn,
      description: 'Fill with {"url","token"} of the Upstash REST API',
    });
  }
}
