// The deploy-time migration: a CloudFormation custom resource (custom_resources.Provider
// framework, onEvent handler). On Create and Update it applies the pending SQL migrations
// (db/migrations, node-pg-migrate) through RDS Proxy. Every function that serves traffic depends
// on this resource, so a deploy never runs new code against an old schema.
//
// The stack changes the resource's `migrationsHash` property whenever a migration file changes,
// which is what makes CloudFormation send an Update. Delete does nothing: data outlives stacks.
// The physical id is fixed, so an Update never makes CloudFormation delete the "old" resource.
import type {
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceResponse,
} from 'aws-lambda';
import { migrate } from '../../db/migrate';
import { loadSecretJson } from '../adapters/secrets';
import { config } from '../config';

const PHYSICAL_RESOURCE_ID = 'minute-credits-schema';
/** RDS Proxy listens on 5432 for PostgreSQL, whatever port the database itself uses. */
const PROXY_PORT = 5432;

type ProviderResponse = Pick<CloudFormationCustomResourceResponse, 'PhysicalResourceId' | 'Data'>;

export async function handler(event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> {
  const startedMs = Date.now();
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const databaseUrl = await databaseUrlFromSecret();
  await migrate(databaseUrl);
  // One line per run; never the URL (it holds the password).
  console.log(
    JSON.stringify({
      level: 'INFO',
      msg: 'migrations applied',
      route: 'migrate',
      requestType: event.RequestType,
      requestId: event.RequestId,
      durationMs: Date.now() - startedMs,
    }),
  );
  return { PhysicalResourceId: PHYSICAL_RESOURCE_ID };
}

/** postgres://user:password@proxy:5432/db with TLS verified (RDS Proxy presents a public ACM certificate). */
async function databaseUrlFromSecret(): Promise<string> {
  const { databaseHost, databaseName, databaseSecretArn } = config();
  if (databaseHost === undefined || databaseName === undefined || databaseSecretArn === undefined) {
    throw new Error('DATABASE_HOST, DATABASE_NAME and DATABASE_SECRET_ARN are required to migrate');
  }
  const secret = await loadSecretJson(databaseSecretArn);
  const { username, password } = secret;
  if (username === undefined || password === undefined) {
    throw new Error('The database secret has no username or password');
  }
  const user = encodeURIComponent(username);
  const pass = encodeURIComponent(password);
  const name = encodeURIComponent(databaseName);
  return `postgres://${user}:${pass}@${databaseHost}:${PROXY_PORT}/${name}?sslmode=verify-full`;
}
