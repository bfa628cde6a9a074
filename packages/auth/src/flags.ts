/**
 * The flags every Caravel backend takes for authentication, with the same names in every process:
 *
 *   --iam_url http://10.0.0.1:8000          admin router; keys from <iam_url>/acs/api/v1/auth/jwks,
 *                                           service-account logins at <iam_url>/acs/api/v1/auth/login
 *   --iam_public_key /etc/caravel/iam.jwks  or IAM's keys from a file (JWKS JSON or a PEM public key)
 *   --service_account_uid marathon          this component's own account …
 *   --service_account_key /etc/caravel/marathon.pem   … and its RSA private key (a path, or the PEM itself)
 *
 * (env: CARAVEL_IAM_URL, CARAVEL_IAM_PUBLIC_KEY, CARAVEL_SERVICE_ACCOUNT_UID, CARAVEL_SERVICE_ACCOUNT_KEY).
 * Incoming checks are on when --iam_url or --iam_public_key is given; outgoing calls carry a token
 * when a service account is given. Neither: a local cluster on loopback, as before.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, type JWK, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { CaravelError, type AuthorizationProvider } from "@caravel/api";
import { ConfigError } from "@caravel/runtime";
import { createBackendAuth } from "./backend.js";
import { guardListener, type GuardOptions } from "./guard.js";
import { ServiceAccountLogin } from "./service-account.js";
import type { KeySource } from "./tokens.js";

/** Merge into a process's flag schema: `schema: MasterConfig.extend(BackendAuthFlags.shape)`. */
export const BackendAuthFlags = z.object({
  iam_url: z.url().optional().describe("admin router URL (e.g. http://10.0.0.1:8000): check callers' tokens against IAM's keys from <iam_url>/acs/api/v1/auth/jwks, and log the service account in there"),
  iam_public_key: z.string().optional().describe("file with IAM's public keys (a JWKS JSON or a PEM public key), instead of fetching them from --iam_url"),
  service_account_uid: z.string().optional().describe("this component's IAM service account; its calls to other components carry that account's token (needs --service_account_key and --iam_url)"),
  service_account_key: z.string().optional().describe("the service account's RSA private key: a PEM file path, or the PEM text itself"),
});
export type BackendAuthFlags = z.infer<typeof BackendAuthFlags>;

export interface BackendAuthSetup {
  /** Wraps a listener with the token check; the identity function when checks are off. */
  guard: (listener: RequestListener, options?: GuardOptions) => (req: IncomingMessage, res: ServerResponse) => void;
  /** Authorization for outgoing calls when a service account is configured. */
  authorization: AuthorizationProvider | undefined;
  /** Whether incoming requests are checked. */
  checking: boolean;
}

/** Builds the incoming check and the outgoing credentials from the flags. Throws on unusable keys. */
export async function backendAuthFromFlags(flags: BackendAuthFlags): Promise<BackendAuthSetup> {
  const keys = flags.iam_public_key ? await keysFromFile(flags.iam_public_key) : flags.iam_url ? remoteKeys(flags.iam_url) : undefined;
  const check = keys ? createBackendAuth({ keys }) : undefined;
  let authorization: AuthorizationProvider | undefined;
  if (flags.service_account_uid || flags.service_account_key) {
    if (!flags.service_account_uid || !flags.service_account_key) throw new ConfigError("--service_account_uid and --service_account_key go together");
    if (!flags.iam_url) throw new ConfigError("--service_account_uid needs --iam_url (where the account logs in)");
    const pem = flags.service_account_key.includes("-----BEGIN") ? flags.service_account_key : readText(flags.service_account_key, "service_account_key");
    try {
      authorization = new ServiceAccountLogin({ iamUrl: flags.iam_url, uid: flags.service_account_uid, privateKeyPem: pem }).provider();
    } catch (error) {
      throw new ConfigError(`--service_account_key: ${(error as Error).message}`);
    }
  }
  return {
    guard: (listener, options) => (check ? guardListener(listener, check, options) : listener),
    authorization,
    checking: check !== undefined,
  };
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`--${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** IAM's keys from a file: a JWKS document, or one PEM public key (then any `kid` matches it). */
async function keysFromFile(path: string): Promise<KeySource> {
  const text = readText(path, "iam_public_key").trim();
  if (text.startsWith("{")) {
    let doc: { keys?: JWK[] };
    try {
      doc = JSON.parse(text) as { keys?: JWK[] };
    } catch (error) {
      throw new ConfigError(`--iam_public_key ${path}: not valid JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(doc.keys) || doc.keys.length === 0) throw new ConfigError(`--iam_public_key ${path}: a JWKS needs a non-empty "keys" array (as GET /acs/api/v1/auth/jwks serves it)`);
    return createLocalJWKSet({ keys: doc.keys });
  }
  try {
    const key = await importSPKI(text, "RS256");
    return () => key;
  } catch {
    throw new ConfigError(`--iam_public_key ${path}: neither a JWKS JSON nor a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  }
}

/**
 * IAM's keys from the admin router's JWKS: fetched on first use, kept for 10 minutes, and fetched
 * again (at most every 5 s) when a token names a `kid` not yet seen — so rotated keys arrive within seconds.
 */
function remoteKeys(iamUrl: string): JWTVerifyGetKey {
  const url = `${iamUrl.replace(/\/+$/, "")}/acs/api/v1/auth/jwks`;
  const jwks = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 5_000, timeoutDuration: 5_000 });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS") throw error;
      throw new CaravelError("UPSTREAM_UNAVAILABLE", `cannot fetch IAM's public keys from ${url}: ${(error as Error).message}`);
    }
  };
}
