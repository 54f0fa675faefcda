// The cloud stack, synthesized offline and read as a reviewer of a production account would:
// routes against the route table, least privilege, encryption, nothing public that should not be.
// One full synth (with esbuild bundling of every function) is shared by the tests; the variants
// (Aurora, NAT instance) skip bundling.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireFunction, httpRoutes, tickFunction, wsRoutes, type Need } from '../functions/routes';
import { MinuteCreditsStack } from '../infra/cdk/stack';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = path.resolve(import.meta.dirname, '..');
const cdkContext = (JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Json }).context;
const outdirs: string[] = [];

function synth(context: Json = {}): { stack: MinuteCreditsStack; template: Template; json: Json; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'minute-credits-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext, ...context } });
  const stack = new MinuteCreditsStack(app, 'MinuteCredits', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() as Json, outdir };
}

/**
 * Loads a bundle as Lambda would at cold start, in a directory where nothing resolves but Node.js
 * builtins and the AWS SDK (which the Lambda runtime provides): a bundle that needs anything else
 * at load fails here. Resolves to the error output, empty when it loaded.
 */
async function loadInSandbox(sandbox: string, bundleDir: string, name: string): Promise<string> {
  const dir = path.join(sandbox, name);
  fs.cpSync(bundleDir, dir, { recursive: true });
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', "await import('./index.mjs')"],
      { cwd: dir, env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' }, timeout: 30_000 },
      (error, _stdout, stderr) => resolve(error === null ? '' : `${error.message}\n${stderr}`),
    );
  });
}

const logicalId = (stack: Stack, c: IConstruct): string => stack.getLogicalId(c.node.defaultChild as CfnElement);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const resourcesOf = (json: Json, type: string): Array<[string, Json]> =>
  Object.entries(json.Resources as Json).filter(([, r]) => (r as Json).Type === type) as Array<[string, Json]>;

interface Statement {
  readonly owner: string;
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Principal?: unknown;
  readonly Condition?: Json;
}

/** Every statement of identity policies (AWS::IAM::Policy, inline role policies). */
function identityStatements(json: Json): Statement[] {
  const out: Statement[] = [];
  const add = (owner: string, doc: Json): void => {
    for (const s of asArray<Json>(doc.Statement)) {
      out.push({ ...s, owner, Action: asArray(s.Action), Resource: asArray(s.Resource) } as Statement);
    }
  };
  for (const [id, r] of resourcesOf(json, 'AWS::IAM::Policy')) add(id, r.Properties.PolicyDocument);
  for (const [id, r] of resourcesOf(json, 'AWS::IAM::ManagedPolicy')) add(id, r.Properties.PolicyDocument);
  for (const [id, r] of resourcesOf(json, 'AWS::IAM::Role')) {
    for (const p of asArray<Json>(r.Properties.Policies)) add(id, p.PolicyDocument);
  }
  return out;
}

/** Statements of the policies attached to one role (by the role's logical id). */
function statementsOfRole(json: Json, roleId: string): Statement[] {
  const policies = resourcesOf(json, 'AWS::IAM::Policy').filter(([, r]) =>
    asArray<Json>(r.Properties.Roles).some((ref) => ref.Ref === roleId),
  );
  return policies.flatMap(([id, r]) =>
    asArray<Json>(r.Properties.PolicyDocument.Statement).map(
      (s) => ({ ...s, owner: id, Action: asArray(s.Action), Resource: asArray(s.Resource) }) as Statement,
    ),
  );
}

const mentions = (value: unknown, logical: string): boolean => JSON.stringify(value).includes(`"${logical}"`);

describe('the cloud stack (default: RDS PostgreSQL, one NAT gateway)', () => {
  let stack: MinuteCreditsStack;
  let template: Template;
  let json: Json;
  let outdir: string;

  beforeAll(() => {
    ({ stack, template, json, outdir } = synth());
  }, 120_000);

  afterAll(() => {
    for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const fnOf = (id: string) => {
    const found = stack.appFunctions.find((f) => f.id === id);
    if (found === undefined) throw new Error(`no function ${id}`);
    return found.fn;
  };
  const fnLogicalId = (id: string): string => logicalId(stack, fnOf(id));
  const roleLogicalId = (id: string): string => logicalId(stack, fnOf(id).role!);
  const httpApiId = () => logicalId(stack, stack.api.httpApi);
  const wsApiId = () => logicalId(stack, stack.api.webSocketApi);

  describe('routes from the route table', () => {
    it.each(httpRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
      'serves %s on the HTTP API with its own function',
      (routeKey, route) => {
        const routes = resourcesOf(json, 'AWS::ApiGatewayV2::Route').filter(
          ([, r]) => r.Properties.RouteKey === routeKey && r.Properties.ApiId.Ref === httpApiId(),
        );
        expect(routes).toHaveLength(1);
        const target = JSON.stringify(routes[0]![1].Properties.Target);
        const integration = resourcesOf(json, 'AWS::ApiGatewayV2::Integration').find(([id]) => target.includes(id));
        expect(integration).toBeDefined();
        expect(integration![1].Properties.IntegrationType).toBe('AWS_PROXY');
        expect(integration![1].Properties.PayloadFormatVersion).toBe('2.0');
        expect(mentions(integration![1].Properties.IntegrationUri, fnLogicalId(route.id))).toBe(true);
      },
    );

    it('has no HTTP route that is not in the route table', () => {
      const keys = resourcesOf(json, 'AWS::ApiGatewayV2::Route')
        .filter(([, r]) => r.Properties.ApiId.Ref === httpApiId())
        .map(([, r]) => r.Properties.RouteKey as string)
        .sort();
      expect(keys).toEqual(httpRoutes.map((r) => `${r.method} ${r.path}`).sort());
    });

    it.each(wsRoutes.map((r) => [r.routeKey, r] as const))('routes %s on the WebSocket API', (routeKey, route) => {
      const routes = resourcesOf(json, 'AWS::ApiGatewayV2::Route').filter(
        ([, r]) => r.Properties.RouteKey === routeKey && r.Properties.ApiId.Ref === wsApiId(),
      );
      expect(routes).toHaveLength(1);
      const target = JSON.stringify(routes[0]![1].Properties.Target);
      const integration = resourcesOf(json, 'AWS::ApiGatewayV2::Integration').find(([id]) => target.includes(id));
      expect(mentions(integration![1].Properties.IntegrationUri, fnLogicalId(route.id))).toBe(true);
    });

    it('deploys the WebSocket API to a stage and the HTTP API to $default', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: wsApiId() },
        StageName: 'live',
        AutoDeploy: true,
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: httpApiId() },
        StageName: '$default',
        AutoDeploy: true,
      });
    });

    it('admits only the site origin in CORS', () => {
      const api = json.Resources[httpApiId()].Properties;
      const origins = api.CorsConfiguration.AllowOrigins as unknown[];
      expect(origins).toHaveLength(1);
      expect(JSON.stringify(origins[0])).toContain('https://');
      expect(mentions(origins[0], logicalId(stack, stack.site.distribution))).toBe(true);
      expect(JSON.stringify(origins)).not.toContain('"*"');
    });
  });

  describe('functions', () => {
    const all = [
      ...httpRoutes.map((r) => ({ id: r.id, needs: r.needs, kind: 'http' })),
      ...wsRoutes.map((r) => ({ id: r.id, needs: r.needs, kind: 'ws' })),
      { id: tickFunction.id, needs: tickFunction.needs, kind: 'background' },
      { id: expireFunction.id, needs: expireFunction.needs, kind: 'background' },
    ];

    it('builds one bundled, arm64, Node.js 24 function per route-table entry', () => {
      for (const { id } of all) {
        const props = json.Resources[fnLogicalId(id)].Properties;
        expect(props.Runtime, id).toBe('nodejs24.x');
        expect(props.Architectures, id).toEqual(['arm64']);
        expect(props.Handler, id).toBe('index.handler');
        expect(props.Environment.Variables.NODE_OPTIONS, id).toBe('--enable-source-maps');
        expect(props.Code.S3Key, id).toBeDefined(); // a bundle asset, not inline code
      }
    });

    const bundleDir = (logical: string): string => {
      const key = json.Resources[logical].Properties.Code.S3Key as string;
      return path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    };

    it('loads every bundle with nothing but Node.js builtins and the AWS SDK the runtime provides', async () => {
      const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'minute-credits-lambda-'));
      outdirs.push(sandbox);
      fs.mkdirSync(path.join(sandbox, 'node_modules'));
      fs.symlinkSync(path.join(root, 'node_modules', '@aws-sdk'), path.join(sandbox, 'node_modules', '@aws-sdk'), 'dir');
      const migrate = logicalId(stack, stack.node.findChild('Data').node.findChild('MigrateFunction'));
      const logicals = [...all.map((f) => fnLogicalId(f.id)), migrate];
      const errors = await Promise.all(logicals.map((l) => loadInSandbox(sandbox, bundleDir(l), l)));
      logicals.forEach((l, i) => expect(errors[i], l).toBe(''));
      for (const l of logicals) {
        // A small bundle keeps cold starts short (minified, AWS SDK left out).
        expect(fs.statSync(path.join(bundleDir(l), 'index.mjs')).size, l).toBeLessThan(2_000_000);
      }
    }, 60_000);

    it('ships db/migrations/*.sql inside the migration function', () => {
      const migrate = logicalId(stack, stack.node.findChild('Data').node.findChild('MigrateFunction'));
      const shipped = fs.readdirSync(path.join(bundleDir(migrate), 'migrations')).sort();
      const source = fs.readdirSync(path.join(root, 'db', 'migrations')).filter((f) => f.endsWith('.sql')).sort();
      expect(shipped).toEqual(source);
    });

    it.each(all.map((f) => [f.id, f] as const))('%s gets exactly the grants and variables of its needs', (id, f) => {
      const needs = new Set<Need>(f.needs);
      const props = json.Resources[fnLogicalId(id)].Properties;
      const env = props.Environment.Variables as Json;
      const statements = statementsOfRole(json, roleLogicalId(id));
      const actions = new Set(statements.flatMap((s) => s.Action));
      const secretResources = JSON.stringify(
        statements.filter((s) => s.Action.includes('secretsmanager:GetSecretValue')).flatMap((s) => s.Resource),
      );
      const dbSecretId = logicalId(stack, stack.data.databaseSecret);

      // database: in the VPC, the proxy host, the DB secret.
      expect(props.VpcConfig !== undefined, `${id} VPC`).toBe(needs.has('database'));
      expect('DATABASE_HOST' in env, `${id} DATABASE_HOST`).toBe(needs.has('database'));
      expect('DATABASE_SECRET_ARN' in env, `${id} DATABASE_SECRET_ARN`).toBe(needs.has('database'));
      expect(secretResources.includes(dbSecretId), `${id} DB secret`).toBe(needs.has('database'));
      // redis: the Upstash secret.
      expect('UPSTASH_SECRET_ARN' in env, `${id} UPSTASH_SECRET_ARN`).toBe(needs.has('redis'));
      expect(secretResources.includes(logicalId(stack, stack.data.upstashSecret)), `${id} Upstash`).toBe(needs.has('redis'));
      // push: the callback URL and ManageConnections on this stage's connections only.
      expect('WS_CALLBACK_URL' in env, `${id} WS_CALLBACK_URL`).toBe(needs.has('push'));
      expect(actions.has('execute-api:ManageConnections'), `${id} push`).toBe(needs.has('push'));
      // timers: the Scheduler actions on the timer group's schedules and PassRole on its role.
      for (const name of ['SCHEDULE_GROUP', 'EXPIRE_FUNCTION_ARN', 'SCHEDULER_ROLE_ARN', 'TIMER_DLQ_ARN']) {
        expect(name in env, `${id} ${name}`).toBe(needs.has('timers'));
      }
      for (const action of ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'iam:PassRole']) {
        expect(actions.has(action), `${id} ${action}`).toBe(needs.has('timers'));
      }
      // The JWT key: request handlers only.
      expect('JWT_SECRET_ARN' in env, `${id} JWT_SECRET_ARN`).toBe(f.kind !== 'background');
      expect(secretResources.includes(logicalId(stack, stack.api.jwtSecret)), `${id} JWT`).toBe(f.kind !== 'background');
      // Nothing else: logs to its own group, secrets, and the need-specific actions.
      const allowed = new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'execute-api:ManageConnections',
        'scheduler:CreateSchedule',
        'scheduler:UpdateSchedule',
        'scheduler:DeleteSchedule',
        'scheduler:GetSchedule',
        'iam:PassRole',
      ]);
      for (const action of actions) expect(allowed.has(action), `${id} ${action}`).toBe(true);
    });

    it('scopes the timer grants to the timer group and the scheduler role', () => {
      const groupName = json.Resources[logicalId(stack, stack.timers.group)].Properties.Name as string;
      for (const s of identityStatements(json)) {
        if (s.Action.some((a) => a.startsWith('scheduler:'))) {
          expect(JSON.stringify(s.Resource)).toContain(`:schedule/${groupName}/*`);
        }
        if (s.Action.includes('iam:PassRole')) {
          expect(s.Resource).toEqual([{ 'Fn::GetAtt': [logicalId(stack, stack.timers.schedulerRole), 'Arn'] }]);
          expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
        }
      }
    });

    it('names the expire function so that the timers can target it', () => {
      const expire = json.Resources[fnLogicalId(expireFunction.id)].Properties;
      expect(expire.FunctionName).toBe('MinuteCredits-Expire');
      const env = json.Resources[fnLogicalId('SessionStart')].Properties.Environment.Variables;
      expect(JSON.stringify(env.EXPIRE_FUNCTION_ARN)).toContain(':function:MinuteCredits-Expire');
    });

    it('writes every function log to a log group with retention', () => {
      for (const [id, r] of resourcesOf(json, 'AWS::Lambda::Function')) {
        const group = r.Properties.LoggingConfig?.LogGroup?.Ref as string | undefined;
        expect(group, id).toBeDefined();
        expect(json.Resources[group!].Type).toBe('AWS::Logs::LogGroup');
        expect(json.Resources[group!].Properties.RetentionInDays, id).toBeGreaterThan(0);
      }
      for (const [id, r] of resourcesOf(json, 'AWS::Logs::LogGroup')) {
        expect(r.Properties.RetentionInDays, id).toBeGreaterThan(0);
      }
    });

    it('migrates before any function that serves traffic is created or updated', () => {
      const migrations = resourcesOf(json, 'Custom::MinuteCreditsMigrations');
      expect(migrations).toHaveLength(1);
      const [migrationsId, migrationsResource] = migrations[0]!;
      expect(migrationsResource.Properties.migrationsHash).toMatch(/^[0-9a-f]{64}$/);
      for (const { id } of all) {
        expect(asArray(json.Resources[fnLogicalId(id)].DependsOn), id).toContain(migrationsId);
      }
    });
  });

  describe('time', () => {
    it('invokes the tick every minute, without retries, with the DLQ', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [fnLogicalId(tickFunction.id), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, stack.timers.deadLetterQueue), 'Arn'] } },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
        },
      });
    });

    it('lets the timer role invoke only the expire function and write only to the DLQ', () => {
      const roleId = logicalId(stack, stack.timers.schedulerRole);
      const trust = json.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement as Json[];
      expect(trust).toHaveLength(1);
      expect(trust[0]!.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
      expect(trust[0]!.Condition.StringEquals['aws:SourceAccount']).toBe('123456789012');
      expect(trust[0]!.Condition.StringEquals['aws:SourceArn']).toEqual({
        'Fn::GetAtt': [logicalId(stack, stack.timers.group), 'Arn'],
      });
      const statements = statementsOfRole(json, roleId);
      const expire = fnLogicalId(expireFunction.id);
      expect(statements.map((s) => [s.Action, s.Resource])).toEqual(
        expect.arrayContaining([
          [['sqs:SendMessage'], [{ 'Fn::GetAtt': [logicalId(stack, stack.timers.deadLetterQueue), 'Arn'] }]],
          [
            ['lambda:InvokeFunction'],
            [{ 'Fn::GetAtt': [expire, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expire, 'Arn'] }, ':*']] }],
          ],
        ]),
      );
      expect(statements).toHaveLength(2);
      expect(asArray(json.Resources[roleId].Properties.ManagedPolicyArns)).toHaveLength(0);
    });

    it('keeps the timer DLQ encrypted and TLS-only', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('least privilege', () => {
    // Partial wildcards that only CDK's S3 grants produce, for the site deployment: they name
    // families of object and bucket reads (GetObjectVersion, ListBucketMultipartUploads, …) and
    // are scoped to the asset bucket and the site bucket.
    const PARTIAL_WILDCARDS = new Set(['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']);
    // Resource "*" where AWS requires it: none in the template's own policies. The one managed
    // policy attached (AWSLambdaENIManagementAccess, on functions in the VPC) holds the EC2
    // network-interface actions Lambda performs with the function's role; EC2 does not support
    // resource-level permissions for ec2:Describe* and Lambda chooses the interfaces' ids.
    const RESOURCE_STAR_ALLOWED: ReadonlyArray<string> = [];
    const MANAGED_POLICIES_ALLOWED = ['service-role/AWSLambdaENIManagementAccess'];

    it('has no "*" action in any Allow statement, and partial wildcards only on S3', () => {
      const statements = identityStatements(json).filter((s) => s.Effect === 'Allow');
      expect(statements.length).toBeGreaterThan(20);
      for (const s of statements) {
        for (const action of s.Action) {
          expect(action, s.owner).not.toBe('*');
          expect(action.endsWith(':*'), `${s.owner} ${action}`).toBe(false);
          if (action.includes('*')) {
            expect(PARTIAL_WILDCARDS.has(action), `${s.owner} ${action}`).toBe(true);
            expect(JSON.stringify(s.Resource)).toMatch(/s3|SiteBucket/);
          }
        }
      }
    });

    it('has no Resource "*" in any Allow statement', () => {
      for (const s of identityStatements(json).filter((st) => st.Effect === 'Allow')) {
        if (s.Resource.includes('*')) {
          expect(RESOURCE_STAR_ALLOWED, `${s.owner} ${s.Action.join(',')}`).toContain(s.Action.join(','));
        }
      }
    });

    it('attaches no managed policy but the ENI one for functions in the VPC', () => {
      for (const [id, r] of resourcesOf(json, 'AWS::IAM::Role')) {
        for (const arn of asArray(r.Properties.ManagedPolicyArns)) {
          const name = JSON.stringify(arn).match(/:iam::aws:policy\/([^"]+)"/)?.[1];
          expect(MANAGED_POLICIES_ALLOWED, id).toContain(name);
        }
      }
    });

    it('opens no resource policy to the world', () => {
      for (const type of ['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
        for (const [id, r] of resourcesOf(json, type)) {
          for (const s of asArray<Json>(r.Properties.PolicyDocument.Statement)) {
            if (s.Effect !== 'Allow') continue;
            expect(JSON.stringify(s.Principal), id).not.toMatch(/"\*"|\{"AWS":"\*"\}/);
            expect(s.Condition, id).toBeDefined();
          }
        }
      }
    });
  });

  describe('data', () => {
    it('keeps the database private, encrypted and behind a TLS-only proxy', () => {
      template.resourceCountIs('AWS::RDS::DBInstance', 1);
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
        PubliclyAccessible: false,
        StorageEncrypted: true,
        DeletionProtection: true,
      });
      template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    });

    it('puts the database in isolated subnets reachable only from the proxy', () => {
      const subnetGroup = resourcesOf(json, 'AWS::RDS::DBSubnetGroup')[0]![1];
      for (const ref of subnetGroup.Properties.SubnetIds as Json[]) {
        expect(ref.Ref).toMatch(/databaseSubnet/);
        const routes = resourcesOf(json, 'AWS::EC2::Route').filter(([id]) => id.startsWith(ref.Ref.replace(/Subnet[0-9A-F]+$/, '')));
        expect(routes, 'an isolated subnet has no default route').toHaveLength(0);
      }
      const dbPort = { 'Fn::GetAtt': [logicalId(stack, stack.data.database), 'Endpoint.Port'] };
      const ingress = resourcesOf(json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
      expect(ingress).toHaveLength(2); // functions -> proxy, proxy -> database
      for (const rule of ingress) {
        expect(rule.CidrIp, 'no CIDR ingress').toBeUndefined();
        expect(rule.SourceSecurityGroupId).toBeDefined();
        expect([5432, JSON.stringify(dbPort)]).toContain(typeof rule.FromPort === 'number' ? rule.FromPort : JSON.stringify(rule.FromPort));
      }
      const databaseGroups = json.Resources[logicalId(stack, stack.data.database)].Properties.VPCSecurityGroups as Json[];
      const intoDatabase = ingress.filter((rule) => databaseGroups.some((g) => JSON.stringify(g) === JSON.stringify(rule.GroupId)));
      expect(intoDatabase).toHaveLength(1);
      expect(JSON.stringify(intoDatabase[0]!.SourceSecurityGroupId)).toContain('DatabaseProxySecurityGroup');
      for (const [, sg] of resourcesOf(json, 'AWS::EC2::SecurityGroup')) {
        expect(JSON.stringify(sg.Properties.SecurityGroupIngress ?? [])).not.toContain('0.0.0.0/0');
      }
    });

    it('spans two zones with one NAT gateway', () => {
      template.resourceCountIs('AWS::EC2::NatGateway', 1);
      template.resourceCountIs('AWS::EC2::Subnet', 6);
      const zones = new Set(resourcesOf(json, 'AWS::EC2::Subnet').map(([, r]) => JSON.stringify(r.Properties.AvailabilityZone)));
      expect(zones.size).toBe(2);
    });

    it('keeps every secret out of the template', () => {
      for (const [id, r] of resourcesOf(json, 'AWS::SecretsManager::Secret')) {
        expect(r.Properties.SecretString, id).toBeUndefined();
        expect(r.Properties.GenerateSecretString, id).toBeDefined();
      }
      const suspicious = /SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_?KEY/i;
      for (const [id, r] of resourcesOf(json, 'AWS::Lambda::Function')) {
        for (const [name, value] of Object.entries((r.Properties.Environment?.Variables ?? {}) as Json)) {
          if (!suspicious.test(name)) continue;
          expect(name, `${id} ${name}`).toMatch(/_ARN$/);
          expect(typeof value, `${id} ${name} must be a reference, not a literal`).toBe('object');
        }
      }
      expect(JSON.stringify(json)).not.toMatch(/"(JWT_SECRET|UPSTASH_REDIS_REST_TOKEN|DATABASE_URL|UPSTASH_REDIS_REST_URL)"/);
    });
  });

  describe('site', () => {
    it('blocks all public access to the bucket and serves it through CloudFront OAC over HTTPS', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: Match.anyValue(),
      });
      template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
        OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
      });
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        }),
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
            }),
          ]),
        },
      });
    });

    it('sends CSP, HSTS, nosniff and a referrer policy', () => {
      const policy = resourcesOf(json, 'AWS::CloudFront::ResponseHeadersPolicy')[0]![1].Properties
        .ResponseHeadersPolicyConfig.SecurityHeadersConfig;
      const csp = JSON.stringify(policy.ContentSecurityPolicy.ContentSecurityPolicy);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain('connect-src \'self\' https://*.execute-api.us-east-1.');
      expect(csp).toContain(' wss://*.execute-api.us-east-1.');
      expect(policy.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
      expect(policy.ContentTypeOptions.Override).toBe(true);
      expect(policy.ReferrerPolicy.ReferrerPolicy).toBe('strict-origin-when-cross-origin');
    });

    it('deploys config.json with the API and WebSocket URLs', () => {
      const deployments = resourcesOf(json, 'Custom::CDKBucketDeployment');
      const withConfig = deployments.filter(([, r]) => JSON.stringify(r.Properties.SourceMarkers ?? []).includes(httpApiId()));
      expect(withConfig).toHaveLength(1);
      expect(JSON.stringify(withConfig[0]![1].Properties.SourceMarkers)).toContain(wsApiId());
    });
  });

  describe('operations', () => {
    it('outputs the site, API and WebSocket URLs', () => {
      template.hasOutput('SiteUrl', {});
      template.hasOutput('ApiUrl', {});
      template.hasOutput('WebSocketUrl', {});
    });

    it('alarms on every function error, tick lateness, a stopped tick and the DLQ', () => {
      const alarms = resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
      for (const { id, fn } of stack.appFunctions) {
        const onErrors = alarms.filter(
          (a) => a.MetricName === 'Errors' && mentions(a.Dimensions, logicalId(stack, fn)),
        );
        expect(onErrors, id).toHaveLength(1);
      }
      expect(alarms).toContainEqual(
        expect.objectContaining({ Namespace: 'MinuteCredits', MetricName: 'TickLatenessMs', Statistic: 'Maximum' }),
      );
      expect(alarms).toContainEqual(
        expect.objectContaining({ MetricName: 'Invocations', ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' }),
      );
      expect(alarms).toContainEqual(
        expect.objectContaining({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }),
      );
      for (const a of alarms) expect(asArray(a.AlarmActions)).toHaveLength(1);
    });
  });
});

describe('the cloud stack variants (bundling skipped)', () => {
  const noBundling = { 'aws:cdk:bundling-stacks': [] };

  it('with -c database=aurora: an encrypted, private Aurora Serverless v2 cluster behind the proxy', () => {
    const { template } = synth({ ...noBundling, database: 'aurora' });
    template.resourceCountIs('AWS::RDS::DBCluster', 1);
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    });
    template.allResourcesProperties('AWS::RDS::DBInstance', { PubliclyAccessible: false, DBInstanceClass: 'db.serverless' });
    template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true });
  }, 60_000);

  it('with -c nat=instance: a NAT instance instead of a NAT gateway', () => {
    const { template } = synth({ ...noBundling, nat: 'instance' });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't4g.nano', SourceDestCheck: false });
  }, 60_000);

  it('refuses an unknown setting rather than guess', () => {
    expect(() => synth({ ...noBundling, database: 'mysql' })).toThrow(/database must be one of/);
  });
});
