import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const webDir = path.dirname(fileURLToPath(import.meta.url));

// A static export: every page is a file under web/out (`/login` → `login.html`), served by
// the local gateway or S3 + CloudFront. The API and WebSocket URLs come from /config.json at
// run time, so one build serves every environment.
const nextConfig: NextConfig = {
  output: 'export',
  distDir: '.next',
  trailingSlash: false,
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  // The repository root, so the shared wire types in functions/wire.ts resolve.
  turbopack: { root: path.join(webDir, '..') },
};

export default nextConfig;
