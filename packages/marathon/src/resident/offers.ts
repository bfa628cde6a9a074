/**
 * The core's hook for resident apps in each round of offers: runs the pure round (plan.ts), records
 * new and released reservations before anything is sent, creates the instances through the core, and
 * sends one ACCEPT per offer with every operation in order (DESTROY, UNRESERVE, RESERVE, CREATE, LAUNCH).
 */
import type { AppDefinition, Operation, TaskInfo } from "@caravel/api";
import type { Instance } from "../instances/instance.js";
import type { OfferView } from "../placement/offer.js";
import type { ReservationBook } from "./book.js";
import { dueForRelease, escalated, planResidentRound, type ResidentDemand } from "./plan.js";
import { isMarathonReserved, type Reservation } from "./reservation.js";

/** What the resident hook needs from the core. */
export interface ResidentHost {
  frameworkId(): string | undefined;
  now(): number;
  /** Instances each app wants now (apps being removed are absent). */
  wanted(): Map<string, number>;
  /** Whether an instance is known and its task may still be alive. */
  isAlive(instanceId: string): boolean;
  createInstance(p: { app: AppDefinition; offer: OfferView; resources: TaskInfo["resources"]; hostPorts: number[] }): { instance: Instance; info: TaskInfo };
  saveInstance(i: Instance): Promise<void>;
  accept(offerIds: string[], operations: Operation[]): void;
  newReservationId(appId: string): string;
}

export const isUsedBy =
  (host: Pick<ResidentHost, "isAlive">) =>
  (r: Reservation): boolean =>
    r.usedBy !== undefined && host.isAlive(r.usedBy);

/** True when some reservation waits to be given back (Marathon must then keep receiving offers). */
export const releasesPending = (book: ReservationBook, host: Pick<ResidentHost, "isAlive" | "wanted">): boolean =>
  book.size > 0 && dueForRelease(book.all(), host.wanted(), isUsedBy(host)).length > 0;

/** The free reservations of an app (its instances there ended): where its waiting instances must go. */
export function freeReservationsOf(book: ReservationBook, appId: string, isAlive: (instanceId: string) => boolean): Reservation[] {
  return book.ofApp(appId).filter((r) => !isUsedBy({ isAlive })(r));
}

/** Offers without Marathon's resident reservations: other apps must never launch on them. */
export const withoutResidentReservations = (v: OfferView): OfferView =>
  v.resources.some(isMarathonReserved) ? { ...v, resources: v.resources.filter((r) => !isMarathonReserved(r)) } : v;

/**
 * Handles resident demands and releases on `views`; returns the offers it used (accepted) and the
 * instances it created, so that the core leaves those offers alone and reports the instances.
 */
export async function handleResidentOffers(book: ReservationBook, host: ResidentHost, views: OfferView[], demands: ResidentDemand[]): Promise<{ used: Set<string>; created: Instance[] }> {
  const used = new Set<string>();
  const frameworkId = host.frameworkId();
  if (!frameworkId || (demands.length === 0 && book.size === 0 && !views.some((v) => v.resources.some(isMarathonReserved)))) return { used, created: [] };
  // Instances that waited past their residency's escalation timeout give up their reservation (it is
  // forgotten; when its agent offers it again it is an orphan and given back).
  const freeSince = book.trackFree(isUsedBy(host), host.now());
  const waitingApps = new Map(demands.map((d) => [d.app.id, d.app]));
  for (const r of escalated(book.all(), waitingApps, freeSince, host.now())) await book.remove(r.id);
  // The round mutates the views it consumes; give it copies so the core's stay intact.
  const copies = views.map((v) => ({ ...v, resources: v.resources.map((r) => ({ ...r })) }));
  const round = planResidentRound({
    demands,
    offers: copies,
    reservations: book.all(),
    isUsed: isUsedBy(host),
    wanted: host.wanted(),
    role: book.role,
    frameworkId,
    now: host.now(),
    newReservationId: (appId) => host.newReservationId(appId),
  });
  // A reservation its agent keeps offering without was never made (a dropped ACCEPT): forget it, so
  // that its instance gets a new one instead of waiting forever.
  const lost = book.observe(round.present, round.absent, host.now());
  // Persist first: a Marathon that dies right after the ACCEPT must know what it reserved.
  await Promise.all([...round.created.map((r) => book.add(r)), ...[...round.released, ...lost].map((id) => book.remove(id))]);
  const created: Instance[] = [];
  const sends: { offerId: string; operations: Operation[] }[] = [];
  for (const [offerId, u] of round.byOffer) {
    const tasks: TaskInfo[] = [];
    for (const l of u.launches) {
      const { instance, info } = host.createInstance({ app: l.app, offer: u.offer, resources: l.resources, hostPorts: l.hostPorts });
      const volumes = l.resources.filter((r) => r.disk?.persistence && r.disk.volume);
      if (volumes.length) instance.localVolumes = volumes.map((r) => ({ containerPath: r.disk!.volume!.container_path, persistenceId: r.disk!.persistence!.id }));
      created.push(instance);
      tasks.push(info);
      await book.use(l.reservationId, instance.instanceId);
    }
    const operations = [...u.operations, ...(tasks.length ? [{ type: "LAUNCH" as const, launch: { task_infos: tasks } }] : [])];
    if (operations.length) sends.push({ offerId, operations });
    used.add(offerId);
  }
  await Promise.all(created.map((i) => host.saveInstance(i)));
  for (const s of sends) host.accept([s.offerId], s.operations);
  return { used, created };
}
