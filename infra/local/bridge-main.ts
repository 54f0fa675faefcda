// `npm run redis:bridge`: the Upstash REST bridge alone, in front of REDIS_URL, for any Upstash
// client on this machine. A CLI, so it reads its configuration from the environment (and
// from .env then .env.local; variables already set win).
import { loadEnvFiles } from './env-files';
import { startUpstashBridge } from './upstash-bridge';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_BRIDGE_PORT = 8079;

interface BridgeSettings {
  redisUrl: string;
  token: string;
  port: number;
}

function readSettings(env: NodeJS.ProcessEnv): BridgeSettings | string {
  const token = env.UPSTASH_REDIS_REST_TOKEN ?? '';
  if (token === '') {
    return 'UPSTASH_REDIS_REST_TOKEN is not set: set it to the token the bridge must require, e.g. UPSTASH_REDIS_REST_TOKEN=dev-token npm run redis:bridge';
  }
  const portText = env.UPSTASH_BRIDGE_PORT || String(DEFAULT_BRIDGE_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    return `UPSTASH_BRIDGE_PORT must be a TCP port (0-65535), got "${portText}"`;
  }
  return { redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL, token, port };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

async function main(): Promise<void> {
  loadEnvFiles();
  const settings = readSettings(process.env);
  if (typeof settings === 'string') {
    console.error(settings);
    process.exit(1);
  }
  const bridge = await startUpstashBridge(settings);
  console.log(`Upstash REST bridge on ${bridge.url} -> ${redactUrl(settings.redisUrl)}`);
  console.log(`  UPSTASH_REDIS_REST_URL=${bridge.url} (token from UPSTASH_REDIS_REST_TOKEN). Ctrl-C stops it.`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    bridge.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('bridge did not close cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`redis:bridge could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
