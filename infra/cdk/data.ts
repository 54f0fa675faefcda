// Network and data: a VPC over two zones, PostgreSQL (RDS db.t4g.micro by default, Aurora
// Serverless v2 with `-c database=aurora`) in isolated subnets, encrypted, never public, its
// credentials generated into Secrets Manager and reached only through RDS Proxy (TLS required);
// the Upstash secret; and the deploy-time migration custom resource.
//
// NAT: the functions in the VPC must reach Upstash (public internet), Secrets Manager, the
// Scheduler API and the WebSocket management API. One NAT (gateway by default, a t4g.nano
// instance with `-c nat=instance`) serves both zones: interface endpoints for the AWS services
// would cost more than the NAT (about $7.30 a month each per zone) and Upstash still needs the
// internet. See docs/CLOUD.md for the arithmetic.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { copyMigrations, lambdaRole, projectRoot, type AppFunctions } from './functions';
import type { DatabaseEngine, NatKind } from './settings';

const DATABASE_NAME = 'minute_credits';
const DATABASE_USER = 'minute_credits';

export interface DataProps {
  readonly database: DatabaseEngine;
  readonly nat: NatKind;
}

export class Data extends Construct {
  readonly vpc: ec2.Vpc;
  /** Functions that need the database carry this group; the proxy admits it on 5432. */
  readonly databaseClientSecurityGroup: ec2.SecurityGroup;
  readonly proxy: rds.DatabaseProxy;
  /** The RDS-generated secret (attached to the database): JSON with username, password, host, port, dbname. */
  readonly databaseSecret: ISecret;
  readonly databaseName = DATABASE_NAME;
  /** {"url","token"} of the Upstash REST API: filled by the operator after the first deploy. */
  readonly upstashSecret: Secret;
  /** The database instance or cluster (for dependencies). */
  readonly database: Construct;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);

    const natGatewayProvider =
      props.nat === 'instance'
        ? ec2.NatProvider.instanceV2({
            instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
            machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
          })
        : ec2.NatProvider.gateway();

    this.vpc = new ec2.Vpc(this, 'Network', {
      maxAzs: 2,
      natGateways: 1,
      natGatewayProvider,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    if (natGatewayProvider instanceof ec2.NatInstanceProviderV2) {
      natGatewayProvider.connections.allowFrom(ec2.Peer.ipv4(this.vpc.vpcCidrBlock), ec2.Port.allTraffic());
    }

    this.databaseClientSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseClientSecurityGroup', {
      vpc: this.vpc,
      description: 'Minute Credits functions that reach PostgreSQL through RDS Proxy',
      allowAllOutbound: true, // Upstash, Secrets Manager, Scheduler and execute-api over HTTPS
    });
    const proxySecurityGroup = new ec2.SecurityGroup(this, 'DatabaseProxySecurityGroup', {
      vpc: this.vpc,
      description: 'RDS Proxy of the Minute Credits ledger',
      allowAllOutbound: false,
    });
    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'Minute Credits ledger database: reachable from its proxy only',
      allowAllOutbound: false,
    });

    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const credentials = rds.Credentials.fromGeneratedSecret(DATABASE_USER, {
      // RDS refuses / @ " and space; the rest are left out so the password is plain in a URL or a shell.
      excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
    });
    const proxyOptions: rds.DatabaseProxyOptions = {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [proxySecurityGroup],
      requireTLS: true,
      iamAuth: false,
      clientPasswordAuthType: rds.ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
      idleClientTimeout: Duration.minutes(30),
      borrowTimeout: Duration.seconds(10),
      maxConnectionsPercent: 90,
      debugLogging: false,
    };

    // As measured locally (docs/BENCHMARKS.md): JIT compiling the settle's CTEs costs more than it
    // saves, and at the default random_page_cost of 4 the planner scans whole tables for a tick batch.
    const tuning = { jit: '0', random_page_cost: '1.1' };

    if (props.database === 'aurora') {
      const cluster = new rds.DatabaseCluster(this, 'LedgerCluster', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_7 }),
        writer: rds.ClusterInstance.serverlessV2('Writer', { publiclyAccessible: false }),
        // The tick queries every second, so the cluster never idles long enough to pause: 0.5 is the floor.
        serverlessV2MinCapacity: 0.5,
        serverlessV2MaxCapacity: 4,
        parameters: tuning,
        vpc: this.vpc,
        vpcSubnets: isolated,
        securityGroups: [databaseSecurityGroup],
        credentials,
        defaultDatabaseName: DATABASE_NAME,
        storageEncrypted: true,
        iamAuthentication: false,
        backup: { retention: Duration.days(7) },
        copyTagsToSnapshot: true,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.SNAPSHOT,
      });
      this.database = cluster;
      if (cluster.secret === undefined) throw new Error('The cluster has no generated secret');
      this.databaseSecret = cluster.secret;
      this.proxy = cluster.addProxy('LedgerDatabaseProxy', { ...proxyOptions, secrets: [this.databaseSecret] });
    } else {
      const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });
      const instance = new rds.DatabaseInstance(this, 'LedgerDatabase', {
        engine,
        parameterGroup: new rds.ParameterGroup(this, 'LedgerParameters', { engine, parameters: tuning }),
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.MICRO),
        vpc: this.vpc,
        vpcSubnets: isolated,
        securityGroups: [databaseSecurityGroup],
        publiclyAccessible: false,
        multiAz: false,
        credentials,
        databaseName: DATABASE_NAME,
        allocatedStorage: 20,
        maxAllocatedStorage: 100,
        storageType: rds.StorageType.GP3,
        storageEncrypted: true,
        iamAuthentication: false,
        caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
        autoMinorVersionUpgrade: true,
        backupRetention: Duration.days(7),
        copyTagsToSnapshot: true,
        enablePerformanceInsights: false,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.SNAPSHOT,
      });
      this.database = instance;
      if (instance.secret === undefined) throw new Error('The instance has no generated secret');
      this.databaseSecret = instance.secret;
      this.proxy = instance.addProxy('LedgerDatabaseProxy', { ...proxyOptions, secrets: [this.databaseSecret] });
    }
    // Functions -> proxy on 5432 (addProxy already opened proxy -> database on the database port).
    proxySecurityGroup.addIngressRule(this.databaseClientSecurityGroup, ec2.Port.tcp(5432), 'Functions to RDS Proxy');

    this.upstashSecret = new Secret(this, 'UpstashSecret', {
      description:
        'Upstash Redis REST API of Minute Credits: replace with {"url":"https://….upstash.io","token":"…"} after the first deploy',
      // A JSON skeleton with a random placeholder token: no value in the template, and the
      // functions fail to reach Redis (health answers 503) until the operator fills it in.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ url: 'https://replace-me.upstash.io' }),
        generateStringKey: 'token',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
  }

  /**
   * The migration custom resource: runs functions/handlers/migrate.ts on Create and on every
   * Update, which happens whenever a file in db/migrations changes (its hash is a property).
   * Returns the resource; functions that serve traffic must depend on it.
   */
  addMigrations(functions: AppFunctions, logRetention: RetentionDays): CustomResource {
    const migrate = functions.create(this, {
      id: 'Migrate',
      entry: 'migrate',
      needs: ['database'],
      memoryMb: 512,
      timeout: Duration.minutes(5),
      environment: { LOG_LEVEL: 'INFO' },
      requires: ['db/migrate.ts'],
      commandHooks: copyMigrations,
      description: 'Minute Credits: applies db/migrations at deploy (custom resource)',
    });
    const providerLogGroup = new LogGroup(this, 'MigrationsProviderLogGroup', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const provider = new Provider(this, 'MigrationsProvider', {
      onEventHandler: migrate,
      logGroup: providerLogGroup,
      frameworkOnEventRole: lambdaRole(this, 'MigrationsProviderRole', providerLogGroup),
    });
    const migrations = new CustomResource(this, 'Migrations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::MinuteCreditsMigrations',
      properties: { migrationsHash: hashMigrations() },
    });
    // The proxy must have its target registered before the first migration connects.
    migrations.node.addDependency(this.proxy, this.database);
    return migrations;
  }
}

/** sha256 over the names and contents of db/migrations/*.sql, in name order. */
function hashMigrations(): string {
  const dir = path.join(projectRoot, 'db', 'migrations');
  const hash = crypto.createHash('sha256');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort() : [];
  for (const file of files) {
    hash.update(file).update('\0').update(fs.readFileSync(path.join(dir, file))).update('\0');
  }
  return hash.digest('hex');
}
