/**
 * The reservations of resident apps, kept in memory and in the Store under
 * `/marathon/reservations/<id>`, so that a restarted (or newly elected) Marathon still knows which
 * agent holds each instance's volumes and never reserves twice. A reservation is written before the
 * ACCEPT that makes it is sent.
 */
import type { Store } from "@caravel/coordination";
import type { Reservation } from "./reservation.js";

const enc = (s: string): string => encodeURIComponent(s);

export class ReservationBook {
  private readonly byId = new Map<string, Reservation>();

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

  async remove(id: string): Promise<void> {
    this.byId.delete(id);
    await this.store?.delete(`${this.root}/${enc(id)}`);
  }
}
