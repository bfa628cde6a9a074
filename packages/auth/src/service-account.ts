/**
 * A component's own credentials in a multi-machine cluster: it logs in at IAM as a service account
 * (DC/OS' `dcos-servicecredential` flow: `POST /acs/api/v1/auth/login {uid, token}` with a short
 * RS256 login token signed by the account's private key), keeps the IAM token it gets, logs in again
 * before that token expires, and hands out `token=<JWT>` for its outgoing calls.
 *
 *   const login = new ServiceAccountLogin({ iamUrl: "http://10.0.0.1:8000", uid: "marathon", privateKeyPem });
 *   setDefaultAuthorization(login.provider()); // every @caravel/api client call now carries the token
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignJWT, decodeJwt } from "jose";
import { CaravelError, type AuthorizationProvider } from "@caravel/api";

export interface ServiceAccountLoginOptions {
  /** The admin router's base URL (IAM lives at `<iamUrl>/acs/api/v1`). */
  iamUrl: string;
  uid: string;
  /** The account's RSA private key, PEM (PKCS#8 or PKCS#1). */
  privateKeyPem: string;
  /** Lifetime of the login token sent to IAM (DC/OS clients use 30 s to 5 min). */
  loginTokenTtlSeconds?: number;
  /** Log in again when less than this share of the token's life is left (default 0.2). */
  refreshShare?: number;
  /** Seconds since the epoch; defaults to the clock. */
  clock?: () => number;
  /** The fetch to use (tests pass a real server's URL; kept injectable for the unit tests of timing). */
  fetch?: typeof fetch;
}

interface Held {
  header: string;
  exp: number;
  iat: number;
}

/** Logs in as a service account and keeps a fresh IAM token. */
export class ServiceAccountLogin {
  private readonly key: KeyObject;
  private held: Held | undefined;
  private pending: Promise<Held> | undefined;

  constructor(private readonly options: ServiceAccountLoginOptions) {
    try {
      this.key = createPrivateKey(options.privateKeyPem);
    } catch (error) {
      throw new CaravelError("INVALID_REQUEST", `service account ${options.uid}: the private key is not an RSA private key in PEM form (${(error as Error).message})`, { path: "service_account_key" });
    }
    if (this.key.asymmetricKeyType !== "rsa") throw new CaravelError("INVALID_REQUEST", `service account ${options.uid}: the private key must be RSA (RS256), not ${this.key.asymmetricKeyType}`, { path: "service_account_key" });
  }

  private now(): number {
    return this.options.clock?.() ?? Math.floor(Date.now() / 1000);
  }

  /** `token=<JWT>` for an Authorization header, logging in first when needed. */
  async authorization(): Promise<string> {
    const held = this.held;
    if (held && !needsRefresh(held, this.now(), this.options.refreshShare ?? 0.2)) return held.header;
    // One login at a time, shared by every caller waiting for it.
    this.pending ??= this.login().finally(() => (this.pending = undefined));
    try {
      this.held = await this.pending;
    } catch (error) {
      // A token that is still valid beats none while IAM is briefly unreachable.
      if (held && held.exp > this.now() + 5) return held.header;
      throw error;
    }
    return this.held.header;
  }

  /** Forgets the token (IAM answered 401: revoked, or its key was rotated away). */
  invalidate(): void {
    this.held = undefined;
  }

  /** This login as a provider for `@caravel/api` clients (`setDefaultAuthorization`, `HttpOptions.authorization`). */
  provider(): AuthorizationProvider {
    const provider: AuthorizationProvider = () => this.authorization();
    provider.invalidate = () => this.invalidate();
    return provider;
  }

  private async login(): Promise<Held> {
    const now = this.now();
    const loginToken = await new SignJWT({ uid: this.options.uid })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuedAt(now)
      .setExpirationTime(now + (this.options.loginTokenTtlSeconds ?? 120))
      .sign(this.key);
    const url = `${this.options.iamUrl.replace(/\/+$/, "")}/acs/api/v1/auth/login`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ uid: this.options.uid, token: loginToken }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new CaravelError("UPSTREAM_UNAVAILABLE", `service account ${this.options.uid} cannot reach IAM at ${url}: ${(cause as Error).message}`, { cause });
    }
    const text = await response.text();
    if (!response.ok) {
      const code = response.status === 401 || response.status === 403 ? "UNAUTHORIZED" : response.status === 429 ? "TOO_MANY_REQUESTS" : "UPSTREAM_UNAVAILABLE";
      throw new CaravelError(code, `service account ${this.options.uid}: IAM login at ${url} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    const token = (JSON.parse(text) as { token?: unknown }).token;
    if (typeof token !== "string") throw new CaravelError("UPSTREAM_UNAVAILABLE", `service account ${this.options.uid}: IAM login answered without a token`);
    const claims = decodeJwt(token);
    return { header: `token=${token}`, exp: claims.exp ?? now + 3600, iat: claims.iat ?? now };
  }
}

/** Pure: whether a held token is close enough to its expiry to log in again. */
export function needsRefresh(held: { exp: number; iat: number }, now: number, share: number): boolean {
  const life = Math.max(1, held.exp - held.iat);
  return now >= held.exp - Math.max(30, life * share);
}
