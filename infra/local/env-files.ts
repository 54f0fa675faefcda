import fs from 'node:fs';
import { parseEnv } from 'node:util';

/** Reads `.env` then `.env.local` if present; variables already set win. */
export function loadEnvFiles(dir = process.cwd()): string[] {
  const loaded: string[] = [];
  const fromFiles: Record<string, string> = {};
  for (const name of ['.env', '.env.local']) {
    const file = `${dir}/${name}`;
    if (!fs.existsSync(file)) continue;
    Object.assign(fromFiles, parseEnv(fs.readFileSync(file, 'utf8')));
    loaded.push(name);
  }
  for (const [k, v] of Object.entries(fromFiles)) if (process.env[k] === undefined) process.env[k] = v;
  return loaded;
}
