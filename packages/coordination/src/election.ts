/**
 * Leader election on any Store, the way Mesos masters elect through ZooKeeper (mesos-core.md §7.1):
 * each contender creates an ephemeral-sequential `<path>/json.info_NNNNNNNNNN` node holding its
 * MasterInfo JSON, and the member with the smallest sequence number leads. Because the nodes keep
 * Mesos' layout, Mesos-style detectors (mesos-go, Mesos-DNS) find Caravel's leader unchanged.
 *
 * A leader whose session is lost is told at once through `onLeadershipLost` and must step down;
 * the election does not campaign again by itself (Mesos aborts; a supervisor restarts it).
 */
import { CaravelError } from "@caravel/api";
import { joinPath, sequenceOf, validatePath } from "./paths.js";
import type { Store, Unsubscribe } from "./store.js";

/** The label Mesos masters use for their membership nodes. */
export const MESOS_LABEL = "json.info_";

export interface LeaderElectionOptions {
  /** Label of this contender's node (default "json.info_"). */
  readonly label?: string;
}

export interface LeaderElection {
  /**
   * Joins the election with `data` (e.g. MasterInfo JSON) and resolves once this contender leads.
   * Rejects with STORE_UNAVAILABLE if the session is lost, or the election is resigned, first.
   * `data` should be unique to this contender (MasterInfo's id makes it so): after a failed create,
   * a node holding the same data is taken for an orphan of this contender and deleted.
   */
  campaign(data: Buffer): Promise<void>;
  /** Whether this contender leads right now. */
  isLeader(): boolean;
  /** Name of this contender's membership node, once it has one. */
  memberName(): string | undefined;
  /** Called when this contender stops leading without having resigned (session lost, node deleted). */
  onLeadershipLost(listener: (reason: string) => void): Unsubscribe;
  /** Leaves the election (deletes the membership node). Does not call onLeadershipLost. */
  resign(): Promise<void>;
}

/** Sequence-ordered membership nodes among `children` (any label, as Mesos' group does). */
export function memberships(children: readonly string[]): string[] {
  return children
    .filter((name) => sequenceOf(name) !== undefined)
    .sort((a, b) => (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0) || (a < b ? -1 : 1));
}

/** Creates an election under `path` on `store`. */
export function createLeaderElection(
  store: Store,
  path: string,
  options: LeaderElectionOptions = {},
): LeaderElection {
  return new Election(store, validatePath(path, "election path"), options.label ?? MESOS_LABEL);
}

class Election implements LeaderElection {
  private member: string | undefined;
  private leading = false;
  private campaigning: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private unwatch: Unsubscribe | undefined;
  private unlost: Unsubscribe | undefined;
  private readonly lostListeners = new Set<(reason: string) => void>();

  constructor(
    private readonly store: Store,
    private readonly path: string,
    private readonly label: string,
  ) {}

  async campaign(data: Buffer): Promise<void> {
    if (this.campaigning || this.member)
      throw new CaravelError("CONFLICT", `already campaigning in ${this.path}; resign first`, {
        path: this.path,
      });
    let deferred!: { resolve: () => void; reject: (error: Error) => void };
    const elected = new Promise<void>((resolve, reject) => (deferred = { resolve, reject }));
    this.campaigning = deferred;
    this.unlost = this.store.onSessionLost((reason) => this.lost(`store session lost: ${reason}`));
    try {
      const created = await this.store.create(joinPath(this.path, this.label), data, {
        ephemeral: true,
        sequential: true,
      });
      this.member = created.slice(created.lastIndexOf("/") + 1);
      this.unwatch = await this.store.watchChildren(this.path, (children) => this.evaluate(children));
    } catch (error) {
      const member = this.member;
      this.cleanup();
      if (this.campaigning === deferred) this.campaigning = undefined;
      deferred.reject(error as Error);
      // A create that timed out may still have happened: remove our node rather than leave a
      // "leader" nobody runs. Our data (MasterInfo with its unique id) identifies it.
      void this.removeOrphans(member, data);
    }
    return elected;
  }

  private async removeOrphans(member: string | undefined, data: Buffer): Promise<void> {
    try {
      if (member) await this.store.delete(joinPath(this.path, member));
      for (const name of await this.store.children(this.path)) {
        if (!name.startsWith(this.label) || sequenceOf(name) === undefined) continue;
        const node = await this.store.get(joinPath(this.path, name));
        if (node?.data.equals(data))
          await this.store.delete(joinPath(this.path, name), { expectedVersion: node.version });
      }
    } catch {
      // Best effort: if the session is gone, so are its ephemeral nodes.
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  memberName(): string | undefined {
    return this.member;
  }

  onLeadershipLost(listener: (reason: string) => void): Unsubscribe {
    this.lostListeners.add(listener);
    return () => void this.lostListeners.delete(listener);
  }

  async resign(): Promise<void> {
    const member = this.member;
    this.leading = false;
    this.campaigning?.reject(
      new CaravelError("STORE_UNAVAILABLE", `resigned from the election in ${this.path} before winning it`),
    );
    this.campaigning = undefined;
    this.cleanup();
    // Errors reach the caller: a membership node left behind would block every other contender.
    if (member) await this.store.delete(joinPath(this.path, member));
  }

  private evaluate(children: string[]): void {
    if (!this.member) return;
    if (!children.includes(this.member)) {
      this.lost(`membership node ${joinPath(this.path, this.member)} was deleted`);
      return;
    }
    if (memberships(children)[0] === this.member && !this.leading) {
      this.leading = true;
      this.campaigning?.resolve();
      this.campaigning = undefined;
    }
  }

  private lost(reason: string): void {
    const wasLeader = this.leading;
    this.leading = false;
    this.campaigning?.reject(
      new CaravelError("STORE_UNAVAILABLE", `lost the election in ${this.path} before winning it: ${reason}`),
    );
    this.campaigning = undefined;
    this.cleanup();
    if (!wasLeader) return;
    for (const listener of [...this.lostListeners]) {
      try {
        listener(reason);
      } catch (error) {
        process.emitWarning(
          `an onLeadershipLost listener threw: ${(error as Error)?.stack ?? String(error)}`,
          "CaravelElection",
        );
      }
    }
  }

  private cleanup(): void {
    this.member = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    this.unlost?.();
    this.unlost = undefined;
  }
}
