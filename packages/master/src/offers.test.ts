/** Offer life: decline filters, suppress and revive, offer timeout, reservations and persistent volumes. */
import { afterEach, describe, expect, it } from "vitest";
import { TestFramework, delay, waitFor } from "@caravel/testing";
import { AgentDriver } from "./test-support/agent-driver.js";
import { startTestMaster } from "./test-support/master.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(overrides = {}, frameworkInfo = {}) {
  const master = await startTestMaster(overrides);
  cleanup.push(() => master.close());
  const agent = new AgentDriver({ masterUrl: master.url, resources: "cpus:4;mem:4096;disk:4096;ports:[31000-31010]" });
  await agent.subscribe();
  cleanup.push(() => agent.disconnect());
  const fw = await TestFramework.subscribe(master.url, { frameworkInfo });
  cleanup.push(() => fw.close());
  return { master, agent, fw };
}

const countOffers = (fw: TestFramework) => fw.events.filter((e) => e.type === "OFFERS").length;

describe("offers", () => {
  it("honours a decline filter until REVIVE clears it", async () => {
    const { fw } = await setup();
    await fw.waitForOffers();
    await fw.decline(undefined, 3600);
    const before = countOffers(fw);
    await delay(300); // several allocation intervals (50 ms each) pass without a new offer
    expect(countOffers(fw)).toBe(before);
    await fw.revive();
    await fw.waitForOffers();
  });

  it("stops offers on SUPPRESS and resumes on REVIVE", async () => {
    const { fw } = await setup();
    await fw.waitForOffers();
    await fw.send({ type: "SUPPRESS" });
    await fw.decline(undefined, 0);
    const before = countOffers(fw);
    await delay(300);
    expect(countOffers(fw)).toBe(before);
    await fw.revive();
    await fw.waitForOffers();
  });

  it("rescinds offers after offer_timeout", async () => {
    const { fw } = await setup({ offer_timeout: 0.2 });
    const [offer] = await fw.waitForOffers();
    await fw.waitForEvent("RESCIND", (e) => e.rescind?.offer_id.value === offer!.id.value);
  });

  it("reserves resources and creates a persistent volume the agent is told to checkpoint", async () => {
    const { agent, fw, master } = await setup({}, { role: "db", principal: "ops" });
    const [offer] = await fw.waitForOffers();
    const reserved = (name: string, value: number) => ({ name, type: "SCALAR", scalar: { value }, role: "db", reservation: { principal: "ops" } });
    const volume = { ...reserved("disk", 100), disk: { persistence: { id: "vol-1", principal: "ops" }, volume: { container_path: "data", mode: "RW" } } };
    await fw.send({
      type: "ACCEPT",
      accept: {
        offer_ids: [offer!.id],
        operations: [
          { type: "RESERVE", reserve: { resources: [reserved("cpus", 1), reserved("mem", 128), reserved("disk", 100)] } },
          { type: "CREATE", create: { volumes: [volume] } },
        ],
        filters: { refuse_seconds: 0 },
      },
    });
    await waitFor(() => agent.events.filter((e) => e.type === "CHECKPOINT_RESOURCES").length >= 2);
    const checkpoint = agent.events.filter((e) => e.type === "CHECKPOINT_RESOURCES").at(-1)!.checkpoint_resources!.resources;
    expect(checkpoint.find((r) => r.disk?.persistence?.id === "vol-1")).toBeTruthy();
    expect(agent.events.some((e) => e.type === "APPLY_OPERATION" && e.apply_operation?.operation.type === "CREATE")).toBe(true);
    const withVolume = await waitFor(() => [...fw.offers.values()].find((o) => o.resources.some((r) => r.disk?.persistence?.id === "vol-1")));
    expect(withVolume.resources.find((r) => r.name === "cpus" && r.role === "db")?.reservation?.principal).toBe("ops");
    const state = (await (await fetch(`${master.url}/master/slaves`)).json()) as { slaves: Array<{ reserved_resources: Record<string, unknown> }> };
    expect(state.slaves[0]!.reserved_resources["db"]).toMatchObject({ cpus: 1, mem: 128, disk: 100 });
  });
});

describe("legacy endpoints", () => {
  it("serves .json aliases, JSONP, state-summary and paginated tasks", async () => {
    const { master } = await setup();
    const jsonp = await fetch(`${master.url}/state.json?jsonp=cb`);
    expect(jsonp.headers.get("content-type")).toBe("text/javascript");
    expect(await jsonp.text()).toMatch(/^cb\(\{.*\}\);$/s);
    const summary = (await (await fetch(`${master.url}/master/state-summary`)).json()) as { slaves: Array<Record<string, unknown>> };
    expect(summary.slaves[0]).toMatchObject({ TASK_RUNNING: 0, hostname: "agent1" });
    const tasks = await fetch(`${master.url}/master/tasks?limit=-1`);
    expect(tasks.status).toBe(400);
    expect(((await (await fetch(`${master.url}/master/tasks.json?limit=5`)).json()) as { tasks: unknown[] }).tasks).toEqual([]);
    expect((await fetch(`${master.url}/state?jsonp=alert(1)`)).status).toBe(400);
  });
});
