// The typed API client: openapi-fetch over the generated schema, with the
// bearer token added and every failure turned into an ApiError whose
// message is a sentence (lib/problem).
import createClient, { type Middleware } from 'openapi-fetch';
import type { Readable } from 'openapi-typescript-helpers';
import type { paths, components } from './schema';
import { sentence, toFailure, type Action, type ApiFailure } from '../lib/problem';

export type Schemas = components['schemas'];
// Response bodies as openapi-fetch types them (Readable drops the fields
// typed only `null`, such as channelActivations[].webhookUrl).
type R<K extends keyof Schemas> = Readable<Schemas[K]>;
export type AccessRequest = R<'ParticipantAccessRequest'>;
export type Participant = R<'Participant'>;
export type IntegrationConfig = R<'IntegrationConfig'>;
export type Collaborator = R<'Collaborator'>;
export type PendingRecipient = R<'SharesPendingData'>['data'][number];
export type Api = ReturnType<typeof createClient<paths>>;

export class ApiError extends Error {
  constructor(
    readonly failure: ApiFailure,
    readonly action: Action,
  ) {
    super(sentence(failure, action));
    this.name = 'ApiError';
  }
}

/** config.json's apiBase: "" (this origin), a path ("/prod") or an absolute URL. */
export function apiBaseUrl(apiBase: string, origin: string): string {
  if (/^https?:\/\//.test(apiBase)) return apiBase.replace(/\/+$/, '');
  return origin + apiBase.replace(/\/+$/, '');
}

export function makeApi(apiBase: string, token: () => string | null, onUnauthorized: () => void, fetcher?: typeof fetch): Api {
  const api = createClient<paths>({ baseUrl: apiBaseUrl(apiBase, location.origin), ...(fetcher ? { fetch: fetcher } : {}) });
  const auth: Middleware = {
    onRequest({ request }) {
      const t = token();
      if (t) request.headers.set('Authorization', 'Bearer ' + t);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  };
  api.use(auth);
  return api;
}

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError. `action` picks
 * the wording of a 403 ("You need the Editor role… to decide requests").
 */
export async function call<T>(
  p: Promise<{ data?: T; error?: unknown; response: Response }>,
  action: Action = 'read',
): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(toFailure(0, null), action);
  }
  if (!r.response.ok) throw new ApiError(toFailure(r.response.status, r.error), action);
  return r.data as T;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
