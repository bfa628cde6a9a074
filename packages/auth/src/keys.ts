/**
 * Signing keys for IAM tokens: an RS256 key set addressed by `kid`, so that keys can rotate while
 * tokens signed with the previous key stay valid until they expire. The newest key signs; every key
 * in the set verifies. Keys serialise as JWKs so that they can live in the Store.
 */
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey, type KeyObject } from "jose";
import { randomUUID } from "node:crypto";

type Key = CryptoKey | KeyObject;

export interface SigningKey {
  kid: string;
  privateKey: Key;
  publicKey: Key;
  /** Seconds since the epoch when the key was made; the newest one signs. */
  createdAt: number;
}

/** A private and a public JWK, as stored. */
export interface StoredKey {
  kid: string;
  createdAt: number;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A set of RS256 keys: the newest signs, all verify. */
export class KeySet {
  private constructor(private entries: SigningKey[]) {}

  /** A key set with one fresh 2048-bit key. */
  static async generate(now = Math.floor(Date.now() / 1000)): Promise<KeySet> {
    return new KeySet([await generateSigningKey(now)]);
  }

  static async fromStored(stored: readonly StoredKey[]): Promise<KeySet> {
    if (stored.length === 0) throw new Error("a key set needs at least one key");
    const keys = await Promise.all(
      stored.map(async (s) => ({
        kid: s.kid,
        createdAt: s.createdAt,
        privateKey: (await importJWK(s.privateJwk, "RS256")) as Key,
        publicKey: (await importJWK(s.publicJwk, "RS256")) as Key,
      })),
    );
    return new KeySet(keys.sort((a, b) => a.createdAt - b.createdAt));
  }

  /** The key that signs new tokens. */
  get current(): SigningKey {
    return this.entries.at(-1)!;
  }

  find(kid: string | undefined): SigningKey | undefined {
    return kid === undefined ? undefined : this.entries.find((k) => k.kid === kid);
  }

  /** Adds a fresh key that signs from now on; keeps at most `keep` keys (older ones stop verifying). */
  async rotate(keep = 3, now = Math.floor(Date.now() / 1000)): Promise<SigningKey> {
    const key = await generateSigningKey(Math.max(now, this.current.createdAt + 1));
    this.entries = [...this.entries, key].slice(-keep);
    return key;
  }

  /** The public half, as `GET /acs/api/v1/auth/jwks` serves it. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await Promise.all(this.entries.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: "RS256", use: "sig" })));
    return { keys };
  }

  async toStored(): Promise<StoredKey[]> {
    return Promise.all(
      this.entries.map(async (k) => ({ kid: k.kid, createdAt: k.createdAt, privateJwk: await exportJWK(k.privateKey), publicJwk: await exportJWK(k.publicKey) })),
    );
  }
}

async function generateSigningKey(now: number): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  return { kid: randomUUID(), privateKey, publicKey, createdAt: now };
}
