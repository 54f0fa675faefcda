import type { SiteConfig } from './wire';

let configPromise: Promise<SiteConfig> | null = null;

function isSiteConfig(value: unknown): value is SiteConfig {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.apiUrl === 'string' && typeof record.wsUrl === 'string';
}

async function fetchConfig(): Promise<SiteConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const body: unknown = await response.json();
  if (!isSiteConfig(body)) throw new Error('config.json lacks apiUrl or wsUrl');
  return {
    apiUrl: body.apiUrl.replace(/\/+$/, ''),
    wsUrl: body.wsUrl,
  };
}

/** The site's runtime configuration, fetched once per page load from `/config.json`. */
export function loadConfig(): Promise<SiteConfig> {
  if (configPromise === null) {
    configPromise = fetchConfig().catch((error: unknown) => {
      configPromise = null; // let the next caller try again
      throw error;
    });
  }
  return configPromise;
}
