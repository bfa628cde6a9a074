/** Small HTTP helpers shared by the typed clients: JSON calls that follow Mesos-style leader redirects. */
import { CaravelError } from "../errors.js";

export interface HttpOptions {
  /** Extra headers on every request, e.g. an Authorization token. */
  headers?: Record<string, string>;
  /** How many 307 hops to follow before giving up. */
  maxRedirects?: number;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
  /** Supplies an Authorization header per request (a service account's token); see setDefaultAuthorization. */
  authorization?: AuthorizationProvider;
}

/**
 * Yields the Authorization header value for an outgoing call (e.g. `token=<JWT>`), or undefined for
 * none. `invalidate` (optional) is called when an answer is 401, so that the next call logs in again.
 */
export interface AuthorizationProvider {
  (): Promise<string | undefined> | string | undefined;
  invalidate?: () => void;
}

let defaultAuthorization: AuthorizationProvider | undefined;

/**
 * Sets the process-wide provider used by every client call that names no Authorization itself:
 * `main.ts` of a component with a service account sets it once, so that all of its calls to other
 * components carry its token without threading it through every constructor.
 */
export function setDefaultAuthorization(provider: AuthorizationProvider | undefined): void {
  defaultAuthorization = provider;
}

/** The process-wide Authorization value for an outgoing call made without these clients, or undefined. */
export async function defaultAuthorizationValue(): Promise<string | undefined> {
  return defaultAuthorization ? await defaultAuthorization() : undefined;
}

/** The headers an outgoing call adds for authentication (none when a header already names one). */
export async function authorizationHeaders(options: HttpOptions, explicit?: RequestInit["headers"]): Promise<Record<string, string>> {
  const provider = options.authorization ?? defaultAuthorization;
  if (!provider || hasAuthorization(options.headers) || hasAuthorization(explicit)) return {};
  const value = await provider();
  return value ? { authorization: value } : {};
}

function hasAuthorization(headers: RequestInit["headers"] | undefined): boolean {
  if (!headers) return false;
  if (headers instanceof Headers) return headers.has("authorization");
  if (Array.isArray(headers)) return headers.some(([k]) => k?.toLowerCase() === "authorization");
  return Object.keys(headers).some((k) => k.toLowerCase() === "authorization");
}

/** Resolves a `Location` header (Mesos sends protocol-relative `//host:port/path`) against the request URL. */
export function resolveLocation(location: string, requestUrl: string): string {
  return new globalThis.URL(location, requestUrl).toString();
}

export interface RawResponse {
  url: string;
  response: Response;
}

/** fetch that follows 307/308 redirects itself, keeping method and body (Mesos leader redirects). */
export async function fetchFollowingLeader(url: string, init: RequestInit, options: HttpOptions = {}): Promise<RawResponse> {
  let current = url;
  const maxRedirects = options.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    const signal = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : init.signal;
    let response: Response;
    try {
      const auth = await authorizationHeaders(options, init.headers);
      response = await fetch(current, { ...init, redirect: "manual", signal, headers: { ...auth, ...options.headers, ...(init.headers as Record<string, string>) } });
    } catch (cause) {
      if (cause instanceof CaravelError) throw cause;
      throw new CaravelError("UPSTREAM_UNAVAILABLE", `cannot reach ${current}: ${(cause as Error).message}`, { cause });
    }
    // A refused token (revoked, or signed by a key that is gone): log in afresh on the next call.
    if (response.status === 401) (options.authorization ?? defaultAuthorization)?.invalidate?.();
    const location = response.headers.get("location");
    if ((response.status === 307 || response.status === 308) && location && hop < maxRedirects) {
      await response.body?.cancel();
      current = resolveLocation(location, current);
      continue;
    }
    return { url: current, response };
  }
}

/** Throws a CaravelError carrying the server's own message for any non-2xx answer. */
export async function expectOk(raw: RawResponse): Promise<Response> {
  const { response, url } = raw;
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  const code =
    response.status === 404 ? "NOT_FOUND"
    : response.status === 401 ? "UNAUTHORIZED"
    : response.status === 403 ? "FORBIDDEN"
    : response.status === 409 ? "CONFLICT"
    : response.status === 503 ? "NO_LEADER"
    : response.status >= 500 ? "UPSTREAM_UNAVAILABLE"
    : "INVALID_REQUEST";
  throw new CaravelError(code, `${response.status} from ${url}: ${text || response.statusText}`, { details: { status: response.status, body: text } });
}

export async function postJson(url: string, body: unknown, options: HttpOptions = {}): Promise<Response> {
  return expectOk(
    await fetchFollowingLeader(
      url,
      { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) },
      options,
    ),
  );
}

export async function getJson<T = unknown>(url: string, options: HttpOptions = {}): Promise<T> {
  const response = await expectOk(await fetchFollowingLeader(url, { method: "GET", headers: { accept: "application/json" } }, options));
  return (await response.json()) as T;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
