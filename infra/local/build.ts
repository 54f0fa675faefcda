// `npm run build`: the static site (Next.js export into web/out) and the local stack bundled
// into dist/local/main.mjs (and its threads) with the migrations beside it, so `npm start` runs without watchers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

function buildSite(): void {
  console.log('Building the site (next build web)…');
  const r = spawnSync('npx', ['next', 'build', 'web'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) throw new Error('next build failed');
}

async function buildStack(): Promise<void> {
  console.log('Bundling the local stack…');
  await build({
    // The stack and its threads (threads.ts starts dist/local/<name>.mjs beside main.mjs).
    entryPoints: ['main', 'tick-worker', 'bridge-worker'].map((name) => ({ in: `infra/local/${name}.ts`, out: name })),
    outdir: 'dist/local',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    packages: 'external',
    logLevel: 'warning',
  });
  const migrations = path.join('dist', 'local', 'migrations');
  fs.rmSync(migrations, { recursive: true, force: true });
  fs.cpSync(path.join('db', 'migrations'), migrations, { recursive: true });
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== 'stack') buildSite();
  if (only !== 'site') await buildStack();
  console.log('Built. Run: npm start');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
