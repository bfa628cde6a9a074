/**
 * The reservations of resident apps, kept in memory and in the Store under
 * `/marathon/reservations/<id>`, so that a restarted (or newly elected) Marathon still knows which
 * agent holds each instance's volumes and never reserves twice. A reservation is written before the
 * ACCEPT that makes it is sent.
 */
import type { Store } from "@caravel/coordination";
import type { Reservation } from "./reservation.js";

const enc = (s: string): string => encodeURIComponent(s);

/** A free reservation absent from its agent's offers this long (and this often) is taken for lost. */
const LOST_AFTER_MS = 15_000;
const LOST_AFTER_ROUNDS = 3;

export class ReservationBook {
  private readonly byId = new Map<string, Reservation>();
  /** Since when each reservation has been free (no live instance on it). */
  private readonly freeSince = new Map<string, number>();
  /** Free reservations missing from their agent's offers: since when, and in how many rounds. */
  private readonly absence = new Map<string, { since: number; rounds: number }>();

  /**
   * @param store where reservations persist (none: memory only, for tests).
   * @param role the role resident instances reserve for (Marathon's --mesos_role).
   */
  constructor(
    private readonly store: Store | undefined,
    readonly role: string,
    private readonly root = "/marathon/reservations",
  ) {}

  async load(): Promise<void> {
    if (!this.store) return;
    for (const name of await this.store.children(this.root)) {
      const node = await this.store.getJson<Reservation>(`${this.root}/${name}`);
      if (node) this.byId.set(node.value.id, node.value);
    }
  }

  all(): Reservation[] {
    return [...this.byId.values()];
  }

  ofApp(appId: string): Reservation[] {
    return this.all().filter((r) => r.appId === appId);
  }

  get(id: string): Reservation | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  async add(r: Reservation): Promise<void> {
    this.byId.set(r.id, r);
    await this.store?.putJson(`${this.root}/${enc(r.id)}`, r);
  }

  /** Records which instance runs on a reservation now. */
  async use(id: string, instanceId: string): Promise<void> {
    const r = this.byId.get(id);
    if (!r) return;
    r.usedBy = instanceId;
    await this.store?.putJson(`${this.root}/${enc(id)}`, r);
  }

  /**
   * Records which free reservations offers showed or lacked; returns those lacking long enough to be
   * taken for lost (the ACCEPT that should have made them was dropped), for the caller to forget.
   */
  observe(present: readonly string[], absent: readonly string[], now: number): string[] {
    for (const id of present) this.absence.delete(id);
    const lost: string[] = [];
    for (const id of absent) {
      const a = this.absence.get(id) ?? { since: now, rounds: 0 };
      a.rounds++;
      this.absence.set(id, a);
      if (a.rounds >= LOST_AFTER_ROUNDS && now - a.since >= LOST_AFTER_MS) lost.push(id);
    }
    return lost;
  }

  /** Records which reservations are free now; returns, per id, since when it has been free. */
  trackFree(isUsed: (r: Reservation) => boolean, now: number): Map<string, number> {
    for (const r of this.byId.values()) {
      if (isUsed(r)) this.freeSince.delete(r.id);
      else if (!this.freeSince.has(r.id)) this.freeSince.set(r.id, now);
    }
    return this.freeSince;
  }

  async remove(id: string): Promise<void> {
    this.freeSince.delete(id);
    this.absence.delete(id);
    this.byId.delete(id);
    await this.store?.delete(`${this.root}/${enc(id)}`);
  }
}
