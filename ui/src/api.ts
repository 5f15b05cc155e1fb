import type { ServerList, ServerResponse } from './types.js';

export interface ProblemError {
  message: string;
  location?: string;
}

/** A problem+json answer, kept whole so pages can show the server's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: ProblemError[] = [],
  ) {
    // The field-level messages often say what to fix ("Header X-Api-Key is required") where detail only summarises.
    const specifics = errors.map((e) => e.message).filter((m) => m && m !== detail);
    super([detail || title, ...specifics].join(' — '));
  }
}

const TOKEN_KEY = 'wharf.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function request<T>(path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<T> {
  const headers = new Headers(init.headers);
  const token = session.token();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  const response = await fetch(path, { ...init, headers, signal: signal ?? null });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const body: unknown = text ? safeParse(text) : undefined;
  if (!response.ok) {
    const problem = (body ?? {}) as { title?: string; detail?: string; errors?: unknown };
    const errors = Array.isArray(problem.errors)
      ? problem.errors.filter((e): e is ProblemError => typeof (e as ProblemError | null)?.message === 'string')
      : [];
    throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? '', errors);
  }
  return body as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

const enc = encodeURIComponent;

export interface ListQuery {
  search?: string;
  cursor?: string;
  limit?: number;
  filters?: Record<string, string>;
}

export function listServers(query: ListQuery, signal?: AbortSignal): Promise<ServerList> {
  const params = new URLSearchParams();
  if (query.search) params.set('search', query.search);
  if (query.cursor) params.set('cursor', query.cursor);
  // The official list returns every version; the catalog shows one card per server.
  params.set('version', 'latest');
  params.set('limit', String(query.limit ?? 30));
  for (const [key, value] of Object.entries(query.filters ?? {})) if (value) params.set(key, value);
  return request<ServerList>(`/v0.1/servers?${params}`, {}, signal);
}

export const getServer = (name: string, version = 'latest', signal?: AbortSignal) =>
  request<ServerResponse>(`/v0.1/servers/${enc(name)}/versions/${enc(version)}`, {}, signal);

export const listVersions = (name: string, signal?: AbortSignal) =>
  request<ServerList>(`/v0.1/servers/${enc(name)}/versions`, {}, signal);

export const setVersionStatus = (name: string, version: string, status: string, statusMessage: string) =>
  request<ServerResponse>(`/v0.1/servers/${enc(name)}/versions/${enc(version)}/status`, {
    method: 'PATCH',
    body: JSON.stringify(statusMessage ? { status, statusMessage } : { status }),
  });

export const deleteVersion = (name: string, version: string) =>
  request<void>(`/v0.1/servers/${enc(name)}/versions/${enc(version)}`, { method: 'DELETE' });

/** Optional capabilities answer 404 until they are enabled; pages show that instead of failing. */
export async function optional<T>(load: Promise<T>): Promise<T | undefined> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}
