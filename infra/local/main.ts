// `npm run dev` / `npm start`: the whole product on http://127.0.0.1:$PORT. Ctrl-C stops every
// child it started; a restart keeps the data (in .data/).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadEnvFiles } from './env-files';
import { startLocalStack, type LocalStack } from './stack';

async function main(): Promise<void> {
  const loaded = loadEnvFiles();
  if (process.argv.includes('--dev') && !fs.existsSync(path.join('web', 'out', 'index.html'))) {
    // First run: the site is not built yet. Build it once (about half a minute).
    console.log('Building the site once (next build web)…');
    const r = spawnSync('npx', ['next', 'build', 'web'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    if (r.status !== 0) console.error('The site did not build; the API still runs. Fix it and run npm run build.');
  }
  if (loaded.length > 0) console.log(`Read ${loaded.join(' and ')}.`);
  const holder: { stack?: LocalStack } = {};
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    const done = holder.stack?.stop() ?? Promise.resolve();
    done.then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  holder.stack = await startLocalStack({ persistRedis: process.env.REDIS_URL === undefined });
  if (stopping) await holder.stack.stop();
}

main().catch((err: unknown) => {
  console.error(`Could not start Minute Credits: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
