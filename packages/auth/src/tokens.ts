/**
 * IAM tokens: RS256 JWTs `{uid, exp, iat, jti}` with the signing key's `kid` in the header, as DC/OS'
 * Bouncer issues them. Verification accepts RS256 only (so `alg: none` and HS256-with-the-public-key
 * tricks fail), requires `uid` and `exp`, and looks the key up by `kid`.
 */
import { SignJWT, createLocalJWKSet, errors, exportSPKI, importSPKI, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { randomUUID } from "node:crypto";
import { CaravelError } from "@caravel/api";
import { KeySet } from "./keys.js";

/** DC/OS' default token lifetime: 5 days. */
export const DEFAULT_TOKEN_TTL_SECONDS = 5 * 24 * 3600;

/** What a verified token says. */
export interface TokenClaims {
  uid: string;
  exp: number;
  iat: number;
  jti: string | undefined;
}

export interface IssueOptions {
  uid: string;
  ttlSeconds?: number;
  /** Seconds since the epoch. */
  now?: number;
}

/** Signs a token for `uid` with the key set's current key. */
export async function issueToken(keys: KeySet, options: IssueOptions): Promise<{ token: string; claims: TokenClaims }> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims: TokenClaims = { uid: options.uid, iat: now, exp: now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS), jti: randomUUID() };
  const key = keys.current;
  const token = await new SignJWT({ uid: claims.uid })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .setJti(claims.jti!)
    .sign(key.privateKey);
  return { token, claims };
}

/** Where verification keys come from: a local key set, a JWKS document, or a resolver (remote JWKS). */
export type KeySource = KeySet | { keys: JWK[] } | JWTVerifyGetKey;

function toGetKey(source: KeySource): JWTVerifyGetKey {
  if (typeof source === "function") return source;
  if (!(source instanceof KeySet)) return createLocalJWKSet(source as { keys: JWK[] });
  const set = source;
  return (header) => {
    const key = set.find(header.kid);
    if (!key) throw new CaravelError("UNAUTHORIZED", `token was signed with an unknown key (kid ${JSON.stringify(header.kid ?? null)}); log in again`);
    return key.publicKey;
  };
}

export interface VerifyOptions {
  /** Seconds since the epoch; defaults to the clock. */
  now?: number;
  /** Allowed clock skew in seconds. */
  clockToleranceSeconds?: number;
}

/** Verifies an IAM token. Throws CaravelError UNAUTHORIZED with the reason (expired, bad signature, …). */
export async function verifyToken(token: string, source: KeySource, options: VerifyOptions = {}): Promise<TokenClaims> {
  const payload = await verifyJwt(token, toGetKey(source), options);
  return toClaims(payload);
}

/**
 * Verifies a service account's login token `{uid, exp}` against the account's PEM public key. The
 * token must name the same uid and expire; DC/OS clients give it 30 s to 5 min.
 */
export async function verifyServiceLoginToken(token: string, uid: string, publicKeyPem: string, options: VerifyOptions = {}): Promise<void> {
  let key;
  try {
    key = await importSPKI(publicKeyPem, "RS256");
  } catch {
    throw new CaravelError("UNAUTHORIZED", `service account ${uid} has no usable RS256 public key; set one with PUT /acs/api/v1/users/${uid}`);
  }
  const payload = await verifyJwt(token, () => key, options);
  if (payload["uid"] !== uid) throw new CaravelError("UNAUTHORIZED", `login token is for uid ${JSON.stringify(payload["uid"])}, not ${uid}`);
}

async function verifyJwt(token: string, getKey: JWTVerifyGetKey, options: VerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: ["RS256"],
      requiredClaims: ["uid", "exp"],
      clockTolerance: options.clockToleranceSeconds ?? 5,
      ...(options.now === undefined ? {} : { currentDate: new Date(options.now * 1000) }),
    });
    if (typeof payload["uid"] !== "string" || payload["uid"] === "") throw new CaravelError("UNAUTHORIZED", "token has no uid claim; log in again");
    return payload;
  } catch (error) {
    throw asUnauthorized(error);
  }
}

function asUnauthorized(error: unknown): CaravelError {
  if (error instanceof CaravelError) return error;
  if (error instanceof errors.JWTExpired) return new CaravelError("UNAUTHORIZED", "token has expired; log in again");
  if (error instanceof errors.JOSEAlgNotAllowed) return new CaravelError("UNAUTHORIZED", "token is not signed with RS256; only RS256 tokens from IAM are accepted");
  if (error instanceof errors.JWSSignatureVerificationFailed) return new CaravelError("UNAUTHORIZED", "token signature is invalid; log in again");
  if (error instanceof errors.JWKSNoMatchingKey) return new CaravelError("UNAUTHORIZED", "token was signed with an unknown key; log in again");
  if (error instanceof errors.JWTClaimValidationFailed) return new CaravelError("UNAUTHORIZED", `token claim ${error.claim} is invalid: ${error.reason}`);
  return new CaravelError("UNAUTHORIZED", `token is not a valid JWT: ${(error as Error).message}`);
}

function toClaims(payload: JWTPayload): TokenClaims {
  return { uid: payload["uid"] as string, exp: payload.exp!, iat: payload.iat ?? 0, jti: payload.jti };
}

/** Checks and normalises a PEM SubjectPublicKeyInfo RSA key (as service accounts register them). */
export async function normalizePublicKeyPem(pem: string): Promise<string> {
  try {
    return await exportSPKI(await importSPKI(pem, "RS256", { extractable: true }));
  } catch {
    throw new CaravelError("INVALID_REQUEST", "public_key is not an RSA public key in PEM SubjectPublicKeyInfo form (-----BEGIN PUBLIC KEY-----)", { path: "public_key" });
  }
}
