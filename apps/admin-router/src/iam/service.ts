/**
 * The IAM service: holds the IAM state, persists every change to the Store (compare-and-set), signs
 * tokens, checks logins (scrypt passwords, service-account login tokens, rate limits) and turns a
 * request's token into an Identity with its grants. Revocation is checked on every request, also for
 * tokens whose signature check is cached.
 */
import type { IncomingHttpHeaders } from "node:http";
import { randomBytes } from "node:crypto";
import { CaravelError, LoginRequest, describeZodError } from "@caravel/api";
import { KeySet, RequestVerifier, issueToken, verifyServiceLoginToken, DEFAULT_TOKEN_TTL_SECONDS, SUPERUSER_RESOURCE, type Identity, type TokenClaims } from "@caravel/auth";
import type { Logger } from "@caravel/runtime";
import type { RouterStore } from "../store/store.js";
import { addUser, emptyState, hasSuperuser, identityOf, pruneRevoked, setGrant, type IamState, type StoredUser } from "./model.js";
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from "./passwords.js";
import { DEFAULT_LOGIN_LIMITS, LoginLimiter, type LoginLimits } from "./rate-limit.js";
import type { LoginLimiterLike } from "./shared-rate-limit.js";

export const IAM_STATE_PATH = "/caravel/admin-router/iam";

export interface IamServiceOptions {
  store: RouterStore;
  log: Logger;
  tokenTtlSeconds?: number;
  limits?: LoginLimits;
  /** Counts failed logins elsewhere (StoreLoginLimiter: shared by several routers); default in-process. */
  limiter?: LoginLimiterLike;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  /** The first admin's password; generated when absent. */
  adminPassword?: string;
  /** Called once with the generated or given first admin password, when the admin is created. */
  onAdminCreated?: (uid: string, password: string, generated: boolean) => Promise<void> | void;
}

export interface Authenticated {
  identity: Identity;
  claims: TokenClaims;
  token: string;
  from: "authorization" | "cookie";
}

export class IamService {
  private verifierInstance: RequestVerifier;
  private readonly identities = new Map<string, Identity | undefined>();
  private readonly limiter: LoginLimiterLike;
  private writes: Promise<unknown> = Promise.resolve();
  private dummyHash: Promise<string> | undefined;

  private constructor(
    private state: IamState,
    private version: number,
    private keySet: KeySet,
    private readonly options: IamServiceOptions,
  ) {
    this.limiter = options.limiter ?? new LoginLimiter(options.limits ?? DEFAULT_LOGIN_LIMITS);
    this.verifierInstance = this.makeVerifier();
  }

  /** Loads the IAM state, creating keys and the first admin (uid `admin`) on the first start. */
  static async open(options: IamServiceOptions): Promise<IamService> {
    const existing = await options.store.getJson<IamState>(IAM_STATE_PATH);
    if (existing) return new IamService(existing.value, existing.version, await KeySet.fromStored(existing.value.keys), options);
    const keys = await KeySet.generate();
    const generated = options.adminPassword === undefined || options.adminPassword === "";
    const password = generated ? randomBytes(15).toString("base64url") : options.adminPassword!;
    let state = emptyState(await keys.toStored());
    state = addUser(state, { uid: "admin", description: "first administrator", kind: "user", passwordHash: await hashPassword(password), createdAt: new Date(options.clock?.() ?? Date.now()).toISOString() });
    state = setGrant(state, SUPERUSER_RESOURCE, { uid: "admin" }, "full", true);
    const version = await options.store.putJson(IAM_STATE_PATH, state, { expectedVersion: -1 });
    await options.onAdminCreated?.("admin", password, generated);
    return new IamService(state, version, keys, options);
  }

  get current(): IamState {
    return this.state;
  }

  get verifier(): RequestVerifier {
    return this.verifierInstance;
  }

  get keys(): KeySet {
    return this.keySet;
  }

  /** Applies a pure change and stores it; serialised, so concurrent requests never lose updates. */
  mutate(change: (state: IamState) => IamState | Promise<IamState>): Promise<IamState> {
    const run = async () => {
      for (let attempt = 0; ; attempt++) {
        const next = pruneRevoked(await change(this.state), this.nowSeconds());
        if (hasSuperuser(this.state) && !hasSuperuser(next)) {
          throw new CaravelError("CONFLICT", "this change would leave no superuser, and nobody could manage IAM any more; grant caravel:superuser full to another user first");
        }
        try {
          this.version = await this.options.store.putJson(IAM_STATE_PATH, next, { expectedVersion: this.version });
        } catch (error) {
          // Another router process wrote first: take its state and apply the change again on top.
          if ((error as { code?: string }).code === "STORE_VERSION_MISMATCH" && attempt < 5) {
            await this.refresh();
            continue;
          }
          throw error;
        }
        this.state = next;
        this.identities.clear();
        return next;
      }
    };
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /** Re-reads the IAM state when another router process changed it (keys included). */
  async refresh(): Promise<boolean> {
    const node = await this.options.store.getJson<IamState>(IAM_STATE_PATH);
    if (!node || node.version === this.version) return false;
    const keysChanged = JSON.stringify(node.value.keys.map((k) => k.kid)) !== JSON.stringify(this.state.keys.map((k) => k.kid));
    if (keysChanged) this.keySet = await KeySet.fromStored(node.value.keys);
    this.state = node.value;
    this.version = node.version;
    this.identities.clear();
    if (keysChanged) this.verifierInstance = this.makeVerifier();
    return true;
  }

  /**
   * Polls the Store for changes made by other router processes (revocations, grants, keys), so
   * that every worker converges within `intervalMs`. Returns a stop function.
   */
  followStore(intervalMs = 500): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.writes
        .then(() => this.refresh())
        .catch((error: unknown) => this.options.log.warn({ err: error }, "cannot refresh IAM state from the Store"))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  identity(uid: string): Identity | undefined {
    if (!this.identities.has(uid)) this.identities.set(uid, identityOf(this.state, uid));
    return this.identities.get(uid);
  }

  /** Verifies a request's token and returns who it is; UNAUTHORIZED with the reason otherwise. */
  async authenticate(headers: IncomingHttpHeaders): Promise<Authenticated> {
    const verified = await this.verifier.verifyRequest(headers);
    const identity = this.identity(verified.uid);
    if (!identity) throw new CaravelError("UNAUTHORIZED", `user ${verified.uid} no longer exists; log in as another user`);
    return { identity, claims: verified, token: verified.token, from: verified.from };
  }

  /** Checks credentials and issues a token. 401 for bad credentials, 429 past the rate limit. */
  async login(body: unknown, client: string): Promise<{ token: string; claims: TokenClaims; user: StoredUser }> {
    const parsed = LoginRequest.safeParse(body);
    if (!parsed.success) throw new CaravelError("INVALID_REQUEST", `invalid login request: ${describeZodError(parsed.error)}`);
    const { uid, password, token, exp } = parsed.data;
    const now = this.options.clock?.() ?? Date.now();
    const wait = await this.limiter.retryAfterMs(uid, client, now);
    if (wait > 0) {
      throw new CaravelError("TOO_MANY_REQUESTS", `too many failed logins for ${uid ?? "this address"}; try again in ${Math.ceil(wait / 1000)} s`, { details: { retryAfterSeconds: Math.ceil(wait / 1000) } });
    }
    const user = uid === undefined ? undefined : this.state.users[uid];
    let ok = false;
    if (password !== undefined) {
      this.dummyHash ??= DUMMY_HASH_PROMISE();
      // Unknown users and service accounts still cost one scrypt, so timing does not reveal which uids exist.
      ok = (await verifyPassword(password, user?.kind === "user" && user.passwordHash ? user.passwordHash : await this.dummyHash)) && user?.kind === "user";
    } else if (token !== undefined && user?.kind === "service" && user.publicKey) {
      ok = await verifyServiceLoginToken(token, user.uid, user.publicKey, { now: Math.floor(now / 1000) }).then(
        () => true,
        () => false,
      );
    }
    if (!ok || !user) {
      await this.limiter.fail(uid, client, now);
      throw new CaravelError("UNAUTHORIZED", password !== undefined ? "login failed: wrong uid or password" : "login failed: the login token is not valid for this service account (signed with its private key, uid claim, not expired)");
    }
    await this.limiter.succeed(user.uid);
    const nowSeconds = Math.floor(now / 1000);
    const ttl = exp !== undefined && exp > nowSeconds ? Math.min(exp - nowSeconds, this.ttl) : this.ttl;
    const issued = await issueToken(this.keySet, { uid: user.uid, ttlSeconds: ttl, now: nowSeconds });
    return { ...issued, user };
  }

  /** Voids one token until it would have expired. */
  async revokeToken(claims: TokenClaims): Promise<void> {
    if (!claims.jti) return;
    await this.mutate((s) => ({ ...s, revoked: { ...s.revoked, [claims.jti!]: claims.exp } }));
  }

  /** Voids every token issued to `uid` so far. */
  async revokeAll(uid: string): Promise<void> {
    const now = this.nowSeconds();
    await this.mutate((s) => ({ ...s, notBefore: { ...s.notBefore, [uid]: now + 1 } }));
  }

  /** Adds a signing key; tokens signed by the previous keys stay valid until they expire. */
  async rotateKeys(): Promise<string> {
    const next = await KeySet.fromStored(this.state.keys);
    const key = await next.rotate(3, this.nowSeconds());
    const stored = await next.toStored();
    await this.mutate((s) => ({ ...s, keys: stored }));
    this.keySet = next;
    this.verifierInstance = this.makeVerifier();
    return key.kid;
  }

  private get ttl(): number {
    return this.options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  }

  private nowSeconds(): number {
    return Math.floor((this.options.clock?.() ?? Date.now()) / 1000);
  }

  private makeVerifier(): RequestVerifier {
    return new RequestVerifier(this.keySet, {
      clock: () => this.nowSeconds(),
      check: (claims) => {
        if (claims.jti && this.state.revoked[claims.jti] !== undefined) throw new CaravelError("UNAUTHORIZED", "token has been revoked; log in again");
        const notBefore = this.state.notBefore[claims.uid];
        if (notBefore !== undefined && claims.iat < notBefore) throw new CaravelError("UNAUTHORIZED", "token was revoked (password change or revoke-all); log in again");
      },
    });
  }
}
