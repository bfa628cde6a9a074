/**
 * Trust bootstrap of a multi-machine cluster: components' service accounts published under the
 * Store's `/bootstrap/service-accounts/<uid>` node (ZooKeeper, which every machine reaches and which
 * is the cluster's root of trust, as in DC/OS) become IAM service accounts, without an admin login
 * on every machine. The node is watched, so that an account published later (a new agent machine)
 * can log in within a second. Whoever can write to ZooKeeper can create accounts: firewall it to
 * the cluster's machines.
 *
 * Published accounts get no permissions: backends check signatures only, and the router's RBAC
 * applies to them as to anyone else.
 */
import { BOOTSTRAP_SERVICE_ACCOUNTS_PATH, BootstrapServiceAccount, describeZodError } from "@caravel/api";
import { normalizePublicKeyPem } from "@caravel/auth";
import type { Logger } from "@caravel/runtime";
import type { RouterStore } from "../store/store.js";
import type { IamState, StoredUser } from "./model.js";
import type { IamService } from "./service.js";

export interface BootstrapOutcome {
  state: IamState;
  added: string[];
  updated: string[];
  /** Accounts left alone, with why (a human user of that uid, a hand-made service account). */
  skipped: { uid: string; reason: string }[];
}

/**
 * Pure: applies published accounts (public keys already normalised) to the IAM state. New uids are
 * added; a bootstrapped account takes a re-published key; users and accounts made through the API
 * are never changed, so that a published node cannot take over an existing identity. Idempotent.
 */
export function applyBootstrapAccounts(state: IamState, accounts: readonly BootstrapServiceAccount[], createdAt: string): BootstrapOutcome {
  const users: Record<string, StoredUser> = { ...state.users };
  const out: Omit<BootstrapOutcome, "state"> = { added: [], updated: [], skipped: [] };
  for (const a of accounts) {
    const existing = users[a.uid];
    if (!existing) {
      users[a.uid] = { uid: a.uid, description: a.description, kind: "service", publicKey: a.public_key, createdAt, bootstrap: true };
      out.added.push(a.uid);
    } else if (existing.kind !== "service" || !existing.bootstrap) {
      if (existing.publicKey !== a.public_key) out.skipped.push({ uid: a.uid, reason: existing.kind === "user" ? "a user with this uid exists" : "a service account with this uid was created through the IAM API" });
    } else if (existing.publicKey !== a.public_key || existing.description !== a.description) {
      users[a.uid] = { ...existing, publicKey: a.public_key, description: a.description };
      out.updated.push(a.uid);
    }
  }
  return { state: out.added.length || out.updated.length ? { ...state, users } : state, ...out };
}

/** The Store's watch, where it has one (ZooKeeper and the coordination file store); else polling. */
interface WatchableStore extends RouterStore {
  watchChildren?(path: string, listener: (children: string[]) => void): Promise<() => void>;
  watch?(path: string, listener: (event: { type: string }) => void): Promise<() => void>;
}

export interface BootstrapImportOptions {
  store: WatchableStore;
  iam: IamService;
  log: Logger;
  /** Poll period for stores without watches (default 1000 ms). */
  pollMs?: number;
}

/** Imports the published accounts now and on every change; resolves once armed, with a stop function. */
export async function startBootstrapImport(options: BootstrapImportOptions): Promise<() => void> {
  const { store, iam, log } = options;
  const base = BOOTSTRAP_SERVICE_ACCOUNTS_PATH;
  const stops: Array<() => void> = [];
  const watched = new Set<string>();
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let again = false;

  const readAll = async (names: string[]): Promise<BootstrapServiceAccount[]> => {
    const accounts: BootstrapServiceAccount[] = [];
    for (const name of names) {
      const node = await store.get(`${base}/${name}`).catch(() => undefined);
      if (!node) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(node.data.toString("utf8"));
      } catch {
        log.warn({ node: `${base}/${name}` }, "ignoring a published service account that is not JSON");
        continue;
      }
      const parsed = BootstrapServiceAccount.safeParse(raw);
      if (!parsed.success || parsed.data.uid !== name) {
        log.warn({ node: `${base}/${name}`, error: parsed.success ? "uid differs from the node's name" : describeZodError(parsed.error) }, "ignoring an invalid published service account");
        continue;
      }
      try {
        accounts.push({ ...parsed.data, public_key: await normalizePublicKeyPem(parsed.data.public_key) });
      } catch (error) {
        log.warn({ node: `${base}/${name}`, error: (error as Error).message }, "ignoring a published service account with an unusable key");
      }
    }
    return accounts;
  };

  const sync = async (): Promise<void> => {
    const names = await store.children(base);
    if (store.watch) for (const name of names) if (!watched.has(name)) await watchNode(name);
    const accounts = await readAll(names);
    const now = new Date().toISOString();
    // Only write when something changes: every router imports the same nodes.
    if (applyBootstrapAccounts(iam.current, accounts, now).state === iam.current) return;
    let outcome: BootstrapOutcome | undefined;
    await iam.mutate((s) => (outcome = applyBootstrapAccounts(s, accounts, now)).state);
    if (outcome) log.info({ added: outcome.added, updated: outcome.updated, skipped: outcome.skipped }, "imported published service accounts");
  };
  // One sync at a time; a change seen meanwhile runs one more.
  const schedule = (): void => {
    if (stopped) return;
    again = true;
    running = running.then(async () => {
      if (!again || stopped) return;
      again = false;
      await sync().catch((error: unknown) => log.warn({ err: error }, "cannot import published service accounts"));
    });
  };
  const watchNode = async (name: string): Promise<void> => {
    watched.add(name);
    const stop = await store.watch!(`${base}/${name}`, () => schedule()).catch(() => undefined);
    if (stop) stops.push(stop);
  };

  if (store.watchChildren) {
    stops.push(await store.watchChildren(base, () => schedule()));
  } else {
    const timer = setInterval(schedule, options.pollMs ?? 1000);
    timer.unref();
    stops.push(() => clearInterval(timer));
  }
  schedule();
  await running;
  return () => {
    stopped = true;
    for (const stop of stops) stop();
  };
}
