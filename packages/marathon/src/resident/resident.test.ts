import { describe, expect, it } from "vitest";
import { makeApp, makeOffer } from "../test-helpers.js";
import type { OfferView } from "../placement/offer.js";
import { dueForRelease, escalated, planResidentRound, type ResidentRoundInput } from "./plan.js";
import { reservationIdOf, type Reservation } from "./reservation.js";
import { ReservationBook } from "./book.js";
import { explainPlacement } from "../placement/explain.js";

const ROLE = "slave_public";
const residentApp = (instances = 1) =>
  makeApp({
    id: "/db",
    instances,
    cpus: 0.5,
    mem: 64,
    disk: 0,
    container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 100 } }] },
    residency: { taskLostBehavior: "WAIT_FOREVER" },
    upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
  });

/** An offer whose resources were allocated to `role` (as a MULTI_ROLE framework receives them). */
const offerFor = (agent: string, role = ROLE, resources?: string): OfferView => {
  const o = makeOffer(agent, resources);
  o.resources = o.resources.map((r) => ({ ...r, allocation_info: { role } }));
  return o;
};

let ids = 0;
const input = (over: Partial<ResidentRoundInput>): ResidentRoundInput => ({
  demands: [],
  offers: [],
  reservations: [],
  isUsed: () => false,
  wanted: new Map([["/db", 1]]),
  role: ROLE,
  frameworkId: "fw-1",
  now: 1000,
  newReservationId: () => `db.instance-${++ids}`,
  ...over,
});

/** The offer an agent sends back once the reservation exists and its task ended. */
function reservedOffer(agent: string, launch: ReturnType<typeof planResidentRound>): OfferView {
  const o = offerFor(agent, ROLE, "cpus:1;mem:512;disk:1000");
  const use = [...launch.byOffer.values()][0]!;
  o.resources.push(...use.launches[0]!.resources);
  return o;
}

describe("resident apps: the pure round", () => {
  it("reserves, creates the volume and launches in one accept, with Marathon's labels", () => {
    const app = residentApp();
    const round = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a1")] }));
    expect(round.created).toHaveLength(1);
    const r = round.created[0]!;
    expect(r.agentId).toBe("a1");
    const use = round.byOffer.values().next().value!;
    expect(use.operations.map((o) => o.type)).toEqual(["RESERVE", "CREATE"]);
    const reserve = use.operations[0]!.reserve!.resources;
    expect(reserve.every((x) => x.role === ROLE && reservationIdOf(x) === r.id)).toBe(true);
    expect(reserve.find((x) => x.name === "disk")!.scalar!.value).toBe(100);
    expect(reserve[0]!.reservation!.labels!.labels).toContainEqual({ key: "marathon_framework_id", value: "fw-1" });
    const volume = use.operations[1]!.create!.volumes[0]!;
    expect(volume.disk?.persistence?.id).toBe(r.volumeIds[0]);
    expect(volume.disk?.volume?.container_path).toBe("data");
    expect(use.launches[0]!.resources.some((x) => x.disk?.persistence?.id === r.volumeIds[0])).toBe(true);
  });

  it("reserves only from offers allocated to its role", () => {
    const round = planResidentRound(input({ demands: [{ app: residentApp(), count: 1 }], offers: [offerFor("a1", "*")] }));
    expect(round.created).toHaveLength(0);
    expect(round.byOffer.size).toBe(0);
    // '*' cannot be reserved for: nothing is attempted.
    expect(planResidentRound(input({ demands: [{ app: residentApp(), count: 1 }], offers: [offerFor("a1", "*")], role: "*" })).byOffer.size).toBe(0);
  });

  it("relaunches a free reservation only on its agent, with exactly its resources", () => {
    const app = residentApp();
    const first = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a1")] }));
    const reservation: Reservation = first.created[0]!;
    const round = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a2"), reservedOffer("a1", first)], reservations: [reservation] }));
    expect(round.created).toHaveLength(0);
    const uses = [...round.byOffer.values()];
    expect(uses).toHaveLength(1);
    expect(uses[0]!.offer.agentId).toBe("a1");
    expect(uses[0]!.operations).toEqual([]);
    expect(uses[0]!.launches[0]!.reservationId).toBe(reservation.id);
    // While the reservation's own agent sends nothing, nothing is launched elsewhere.
    const waiting = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a2")], reservations: [reservation] }));
    expect(waiting.byOffer.size).toBe(0);
  });

  it("gives back (DESTROY then UNRESERVE) the reservations of a deleted app, and orphans of ours", () => {
    const app = residentApp();
    const first = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a1")] }));
    const reservation = first.created[0]!;
    const round = planResidentRound(input({ offers: [reservedOffer("a1", first)], reservations: [reservation], wanted: new Map() }));
    expect(round.released).toEqual([reservation.id]);
    const ops = round.byOffer.values().next().value!.operations;
    expect(ops.map((o) => o.type)).toEqual(["DESTROY", "UNRESERVE"]);
    expect(ops[1]!.unreserve!.resources.every((r) => r.disk?.persistence === undefined)).toBe(true);
    const orphan = planResidentRound(input({ offers: [reservedOffer("a1", first)], reservations: [] }));
    expect([...orphan.byOffer.values()][0]!.operations.map((o) => o.type)).toEqual(["DESTROY", "UNRESERVE"]);
    // Another framework's reservations are not ours to touch.
    const foreign = planResidentRound(input({ offers: [reservedOffer("a1", first)], reservations: [], frameworkId: "other" }));
    expect(foreign.byOffer.size).toBe(0);
  });

  it("keeps a free reservation while the app still wants it, releases the surplus on scale-down", () => {
    const r = (id: string, createdAt: number): Reservation => ({ id, appId: "/db", agentId: "a1", hostname: "a1", attributes: {}, role: ROLE, volumeIds: [], createdAt });
    const all = [r("x", 1), r("y", 2), r("z", 3)];
    expect(dueForRelease(all, new Map([["/db", 3]]), () => false)).toEqual([]);
    expect(dueForRelease(all, new Map([["/db", 2]]), (x) => x.id !== "y").map((x) => x.id)).toEqual(["y"]);
    expect(dueForRelease(all, new Map([["/db", 1]]), () => true)).toEqual([]);
    expect(dueForRelease(all, new Map(), () => false)).toHaveLength(3);
  });
});

describe("resident apps: reservations that never came to be", () => {
  it("reports a free reservation missing from its agent's offers for its role, and the book forgets it after a while", async () => {
    const app = residentApp();
    const first = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a1")] }));
    const reservation = first.created[0]!;
    // Its agent offers resources for the role, but not the reservation: the ACCEPT was dropped.
    const round = planResidentRound(input({ demands: [{ app, count: 1 }], offers: [offerFor("a1")], reservations: [reservation] }));
    expect(round.absent).toEqual([reservation.id]);
    expect(round.byOffer.size).toBe(0);
    // An offer for another role says nothing about it; one with it says it is there.
    expect(planResidentRound(input({ offers: [offerFor("a1", "*")], reservations: [reservation] })).absent).toEqual([]);
    expect(planResidentRound(input({ offers: [reservedOffer("a1", first)], reservations: [reservation] })).present).toEqual([reservation.id]);

    const book = new ReservationBook(undefined, ROLE);
    await book.add(reservation);
    expect(book.observe([], [reservation.id], 0)).toEqual([]);
    expect(book.observe([], [reservation.id], 5_000)).toEqual([]);
    expect(book.observe([reservation.id], [], 6_000)).toEqual([]);
    expect(book.observe([], [reservation.id], 7_000)).toEqual([]);
    expect(book.observe([], [reservation.id], 8_000)).toEqual([]);
    expect(book.observe([], [reservation.id], 23_000)).toEqual([reservation.id]);
  });
});

describe("resident apps: why is my instance not running?", () => {
  it("explain names the agent holding the reservation and rejects every other one", () => {
    const app = residentApp();
    const pinned = [{ agentId: "a1", hostname: "a1.local" }];
    const away = explainPlacement({ app, waiting: 1, offers: [offerFor("a2")], placed: [], now: 0, defaultAcceptedRoles: ["*"], pinned });
    expect(away.summary).toMatch(/waiting for an offer from a1\.local, which holds their reservation and persistent volumes/);
    expect(away.agents[0]).toMatchObject({ agentId: "a2", fits: false, rejectedBy: "constraint" });
    expect(away.agents[0]!.detail).toMatch(/relaunches only on a1\.local/);
    const home = explainPlacement({ app, waiting: 1, offers: [offerFor("a1"), offerFor("a2")], placed: [], now: 0, defaultAcceptedRoles: ["*"], pinned });
    expect(home.agents.find((a) => a.agentId === "a1")!.fits).toBe(true);
  });
});

describe("resident apps: residency escalation", () => {
  it("gives up a reservation free for relaunchEscalationTimeoutSeconds only with RELAUNCH_AFTER_TIMEOUT", async () => {
    const r: Reservation = { id: "r1", appId: "/db", agentId: "a1", hostname: "a1", attributes: {}, role: ROLE, volumeIds: [], createdAt: 0 };
    const waitForever = new Map([["/db", residentApp()]]);
    const relaunch = new Map([["/db", { ...residentApp(), residency: { taskLostBehavior: "RELAUNCH_AFTER_TIMEOUT", relaunchEscalationTimeoutSeconds: 60 } }]]);
    const book = new ReservationBook(undefined, ROLE);
    await book.add(r);
    const since = book.trackFree(() => false, 1_000);
    expect(escalated([r], relaunch, since, 30_000)).toEqual([]);
    expect(escalated([r], relaunch, since, 61_000)).toEqual([r]);
    expect(escalated([r], waitForever, since, 10_000_000)).toEqual([]);
    // In use again: the clock restarts.
    expect(escalated([r], relaunch, book.trackFree(() => true, 62_000), 200_000)).toEqual([]);
  });
});
