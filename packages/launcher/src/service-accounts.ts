/**
 * Service accounts of one machine of a multi-machine cluster (`start --role … --zk …`, on unless
 * `--iam=false`): one RSA key pair per component under `<home>/local/service-accounts/` (kept across
 * restarts), the public keys published in ZooKeeper under `/caravel/bootstrap/service-accounts/<uid>`
 * (the admin routers import them: ZooKeeper is the cluster's root of trust), and each component
 * started with `--iam_url`, `--service_account_uid` and `--service_account_key`, so that its calls
 * carry a token and backends refuse callers without one.
 */
import { generateKeyPair } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BOOTSTRAP_SERVICE_ACCOUNTS_PATH, type BootstrapServiceAccount } from "@caravel/api";
import { createMasterDetector, createStore } from "@caravel/coordination";
import type { ComponentSpec } from "./components.js";

/** Components that get an account (the admin router is IAM itself and signs its own tokens). */
export const ACCOUNT_COMPONENTS: readonly string[] = ["master", "marathon", "dns", "l4lb", "universe", "agent", "public-agent"];
/** Components that log in at start: on a master machine they wait for its admin router. */
const AFTER_ROUTER: readonly string[] = ["marathon", "dns", "l4lb", "universe"];

export interface ComponentAccount {
  component: string;
  uid: string;
  /** Private key file (PEM, mode 0600). */
  keyFile: string;
  publicKey: string;
}

/** `caravel-<component>-<ip>`: unique per machine, and says where the caller runs. */
export const accountUid = (component: string, ip: string): string => `caravel-${component}-${ip}`;

/** The admin routers' Store beside the masters' election: `zk://…/mesos` → `zk://…/caravel`. */
export const routerZk = (zk: string): string => zk.replace(/\/[^/]*$/, "/caravel");

const generate = promisify(generateKeyPair);

/** This machine's key pair for `component`, generated on first use and kept under `dir`. */
export async function ensureAccount(dir: string, component: string, ip: string): Promise<ComponentAccount> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, `${component}.pem`);
  const pubFile = join(dir, `${component}.pub`);
  if (!existsSync(keyFile) || !existsSync(pubFile)) {
    const pair = await generate("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
    writeFileSync(pubFile, pair.publicKey, { mode: 0o644 });
  }
  chmodSync(keyFile, 0o600);
  return { component, uid: accountUid(component, ip), keyFile, publicKey: readFileSync(pubFile, "utf8") };
}

/**
 * Pure: the component table with each account's flags appended and, where this machine runs the
 * admin router, the components that log in started after it. `iamUrl` undefined: this machine's router.
 */
export function withServiceAccounts(components: readonly ComponentSpec[], accounts: ReadonlyMap<string, ComponentAccount>, iamUrl: string | undefined): ComponentSpec[] {
  return components.map((spec) => {
    const account = accounts.get(spec.name);
    if (!account) return spec;
    return {
      ...spec,
      after: AFTER_ROUTER.includes(spec.name) && !spec.after.includes("admin-router") ? [...spec.after, "admin-router"] : spec.after,
      args: (ctx, instance, index) => [
        ...spec.args(ctx, instance, index),
        "--iam_url", iamUrl ?? ctx.url("admin-router"),
        "--service_account_uid", account.uid,
        "--service_account_key", account.keyFile,
      ],
    };
  });
}

/** Writes the accounts' public keys where the admin routers import them. */
export async function publishAccounts(zk: string, accounts: Iterable<ComponentAccount>, ip: string): Promise<void> {
  const store = await createStore(routerZk(zk));
  try {
    for (const a of accounts) {
      const node: BootstrapServiceAccount = { uid: a.uid, public_key: a.publicKey, description: `caravel-${a.component} on ${ip} (published by caravel-launch)` };
      await store.putJson(`${BOOTSTRAP_SERVICE_ACCOUNTS_PATH}/${a.uid}`, node);
    }
  } finally {
    await store.close();
  }
}

/**
 * The admin router of an agent machine: on the leading master's machine (from the masters' election
 * in ZooKeeper), port 8000. Waits up to `timeoutMs` for a master to be elected.
 */
export async function findRouterUrl(zk: string, timeoutMs: number, port = 8000): Promise<string> {
  const store = await createStore(zk);
  try {
    const detector = await createMasterDetector(store, "/");
    try {
      const leader = await detector.leader(timeoutMs).catch(() => {
        throw new Error(`no master is elected in ${zk} after ${Math.round(timeoutMs / 1000)} s: start the master machines first (their admin routers are the agents' IAM), or pass --iam=false`);
      });
      const ip = leader.info?.address?.ip ?? leader.info?.hostname;
      if (!ip) throw new Error(`the leading master's election node in ${zk} names no address`);
      return `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
    } finally {
      detector.close();
    }
  } finally {
    await store.close();
  }
}

/** Sets up this machine's accounts for the components it runs and returns the table to start. */
export async function prepareServiceAccounts(options: { components: readonly ComponentSpec[]; only: ReadonlySet<string>; home: string; ip: string; zk: string; timeoutMs: number }): Promise<{ components: ComponentSpec[]; uids: string[]; iamUrl: string | undefined }> {
  const dir = join(options.home, "local", "service-accounts");
  const names = ACCOUNT_COMPONENTS.filter((n) => options.only.has(n));
  // Key generation runs on the thread pool: the machine's accounts are made side by side.
  const accounts = new Map((await Promise.all(names.map((name) => ensureAccount(dir, name, options.ip)))).map((a) => [a.component, a] as const));
  await publishAccounts(options.zk, accounts.values(), options.ip);
  const iamUrl = options.only.has("admin-router") ? undefined : await findRouterUrl(options.zk, options.timeoutMs);
  return { components: withServiceAccounts(options.components, accounts, iamUrl), uids: [...accounts.values()].map((a) => a.uid), iamUrl };
}
