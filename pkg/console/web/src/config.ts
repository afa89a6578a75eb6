// The console's runtime settings, served by gatehouse at /console/config.json.
import { base } from './lib/router';

export interface ConsoleConfig {
  authority: string;
  clientId: string;
  scope: string;
  /** "" = the API is at this origin's root; "/prod" = under that path; or an absolute URL. */
  apiBase: string;
}

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<ConsoleConfig> {
  const res = await fetcher(location.origin + base + 'config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const c = (await res.json()) as Partial<ConsoleConfig>;
  if (!c.authority || !c.clientId) throw new Error('config.json: authority and clientId are required');
  return { authority: c.authority, clientId: c.clientId, scope: c.scope || 'openid profile email', apiBase: c.apiBase ?? '' };
}
