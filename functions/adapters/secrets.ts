// Secrets Manager: the only place that reads a secret's value. In the cloud the database
// credentials (the RDS-generated JSON with username/password), the Upstash REST URL and token
// ({"url","token"}) and the JWT signing key ({"secret"}) live in Secrets Manager; the stack
// passes only their ARNs in the environment, never the values.
//
// Values are cached per ARN for the life of the execution environment, but re-read after
// CACHE_TTL_MS so that a secret filled or rotated after deploy is picked up by warm functions
// without a redeploy. A failed read is not cached: the next call tries again.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const CACHE_TTL_MS = 5 * 60 * 1000;

const client = new SecretsManagerClient({});

interface Entry {
  readonly value: Promise<Readonly<Record<string, string>>>;
  readonly loadedAtMs: number;
}

const cache = new Map<string, Entry>();

/** The secret at `arn`, a JSON object of strings (non-string members are turned into strings). */
export async function loadSecretJson(arn: string): Promise<Record<string, string>> {
  const nowMs = Date.now();
  const cached = cache.get(arn);
  if (cached !== undefined && nowMs - cached.loadedAtMs < CACHE_TTL_MS) {
    return { ...(await cached.value) };
  }
  const value = readSecretJson(arn);
  cache.set(arn, { value, loadedAtMs: nowMs });
  try {
    return { ...(await value) };
  } catch (error) {
    if (cache.get(arn)?.value === value) cache.delete(arn);
    throw error;
  }
}

async function readSecretJson(arn: string): Promise<Readonly<Record<string, string>>> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString === undefined) {
    throw new Error(`Secret ${arn} has no string value`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    // Never echo the value: it is a secret, even when malformed.
    throw new Error(`Secret ${arn} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Secret ${arn} is not a JSON object`);
  }
  const result: Record<string, string> = {};
  for (const [key, member] of Object.entries(parsed)) {
    if (typeof member === 'string') result[key] = member;
    else if (typeof member === 'number' || typeof member === 'boolean') result[key] = String(member);
  }
  return Object.freeze(result);
}
