/**
 * Drain without downtime (core/drain.ts): after DRAIN_AGENT the master waits, per framework, for an
 * ACCEPT (or DECLINE) of its inverse offer, for its tasks there to end, or for --drain_timeout,
 * before killing them; `0secs` kills at once as Mesos does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMasterClient, type Event } from "@caravel/api";
import { TestFramework, taskFor, waitFor } from "@caravel/testing";
import { MasterConfig, parseDuration } from "./config.js";
import { memoryRegistryStore } from "./registry.js";
import { AgentDriver } from "./test-support/agent-driver.js";
import { startTestMaster } from "./test-support/master.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface AgentsAnswer {
  get_agents: { agents: Array<{ agent_info: { id: { value: string } }; drain_info?: { state: string } }> };
}

async function setUp(drainTimeout: string, agents = 2) {
  const store = memoryRegistryStore();
  const master = await startTestMaster({ drain_timeout: drainTimeout }, store);
  cleanup.push(() => master.close());
  const drivers: AgentDriver[] = [];
  for (let i = 0; i < agents; i++) {
    const agent = new AgentDriver({ masterUrl: master.url, hostname: `agent${i + 1}` });
    await agent.subscribe();
    cleanup.push(() => agent.disconnect());
    drivers.push(agent);
  }
  const fw = await TestFramework.subscribe(master.url);
  cleanup.push(() => fw.close());
  const [a, b] = drivers;
  const offerOn = (agent: AgentDriver) =>
    waitFor(() => [...fw.offers.values()].find((o) => o.agent_id.value === agent.agentId), { message: `an offer on ${agent.options.hostname}` });
  const offer = await offerOn(a!);
  await fw.launch(offer, [taskFor(offer, { id: "web-1", resources: "cpus:1;mem:64" })]);
  await fw.waitForTaskState("web-1", "TASK_RUNNING");
  const client = createMasterClient(master.url);
  const drainState = async (agent: AgentDriver) => {
    const answer = await client.call<AgentsAnswer>("GET_AGENTS");
    return answer.get_agents.agents.find((x) => x.agent_info.id.value === agent.agentId)?.drain_info?.state;
  };
  const drainKills = (agent: AgentDriver) => agent.events.filter((e) => e.type === "KILL_TASK" && e.kill_task?.reason === "REASON_AGENT_DRAINING");
  return { master, store, client, fw, a: a!, b, offerOn, drainState, drainKills };
}

const inverseOfferId = (e: Event) => e.inverse_offers!.inverse_offers[0]!.id.value;

describe("DRAIN_AGENT", () => {
  it("waits for the framework: it starts a replacement elsewhere, ACCEPTs, and only then is its task killed", async () => {
    const { client, fw, a, b, offerOn, drainState, drainKills } = await setUp("60secs");
    if (!b) throw new Error("two agents expected");
    await client.call("DRAIN_AGENT", { agent_id: { value: a.agentId }, max_grace_period: { seconds: 5 } });
    const inverse = await fw.waitForEvent("INVERSE_OFFERS");
    expect(inverse.inverse_offers?.inverse_offers[0]?.agent_id?.value).toBe(a.agentId);
    expect(await drainState(a)).toBe("DRAINING");
    // The kills used to go out with the inverse offer; now nothing is killed while the framework moves.
    expect(drainKills(a)).toEqual([]);

    const offer = await offerOn(b);
    await fw.launch(offer, [taskFor(offer, { id: "web-2", resources: "cpus:1;mem:64" })]);
    await fw.waitForTaskState("web-2", "TASK_RUNNING");
    expect(drainKills(a)).toEqual([]);
    expect(fw.latest("web-1")?.state).toBe("TASK_RUNNING");

    await fw.send({ type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: [{ value: inverseOfferId(inverse) }] } });
    await fw.waitForTaskState("web-1", "TASK_KILLED");
    const [kill] = drainKills(a);
    expect(kill?.kill_task?.kill_policy?.grace_period?.nanoseconds).toBe(5e9);
    await waitFor(async () => (await drainState(a)) === "DRAINED");
  });

  it("needs no kill when the framework moves its tasks itself, and withdraws the inverse offer", async () => {
    const { client, fw, a, drainState, drainKills } = await setUp("60secs");
    await client.call("DRAIN_AGENT", { agent_id: { value: a.agentId } });
    const inverse = await fw.waitForEvent("INVERSE_OFFERS");
    await fw.kill("web-1", a.agentId);
    await fw.waitForTaskState("web-1", "TASK_KILLED");
    const rescind = await fw.waitForEvent("RESCIND_INVERSE_OFFER");
    expect(rescind.rescind_inverse_offer?.inverse_offer_id.value).toBe(inverseOfferId(inverse));
    await waitFor(async () => (await drainState(a)) === "DRAINED");
    expect(drainKills(a)).toEqual([]);
  });

  it("kills the tasks of a framework that ignores the inverse offer once --drain_timeout passes", async () => {
    const { client, fw, a, drainState, drainKills } = await setUp("300ms", 1);
    await client.call("DRAIN_AGENT", { agent_id: { value: a.agentId } });
    await fw.waitForEvent("INVERSE_OFFERS");
    await fw.waitForTaskState("web-1", "TASK_KILLED", { timeoutMs: 30_000 });
    expect(drainKills(a)).toHaveLength(1);
    await fw.waitForEvent("RESCIND_INVERSE_OFFER");
    await waitFor(async () => (await drainState(a)) === "DRAINED");
  });

  it("takes DECLINE_INVERSE_OFFERS as 'go ahead now'", async () => {
    const { client, fw, a, drainKills } = await setUp("60secs", 1);
    await client.call("DRAIN_AGENT", { agent_id: { value: a.agentId } });
    const inverse = await fw.waitForEvent("INVERSE_OFFERS");
    expect(drainKills(a)).toEqual([]);
    await fw.send({ type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: { inverse_offer_ids: [{ value: inverseOfferId(inverse) }] } });
    await fw.waitForTaskState("web-1", "TASK_KILLED");
    expect(drainKills(a)).toHaveLength(1);
  });

  it("with --drain_timeout=0secs kills at once, as Mesos does", async () => {
    const { client, fw, a, drainState, drainKills } = await setUp("0secs", 1);
    await client.call("DRAIN_AGENT", { agent_id: { value: a.agentId } });
    await fw.waitForTaskState("web-1", "TASK_KILLED");
    expect(drainKills(a)).toHaveLength(1);
    await waitFor(async () => (await drainState(a)) === "DRAINED");
  });

  it("is still DRAINING after a master failover, and the new leader waits again", async () => {
    const { master, store, client, fw, a } = await setUp("60secs", 1);
    await client.call("DRAIN_AGENT", { agent_id: { value: a.agentId } });
    await fw.waitForEvent("INVERSE_OFFERS");
    const frameworkId = fw.frameworkId;
    await fw.close();
    a.disconnect();
    await master.close();

    const next = await startTestMaster({ drain_timeout: "60secs" }, store);
    cleanup.push(() => next.close());
    const resubscribed = await TestFramework.subscribe(next.url, { frameworkInfo: { id: { value: frameworkId }, failover_timeout: 3600 } });
    cleanup.push(() => resubscribed.close());
    const again = new AgentDriver({ masterUrl: next.url, hostname: "agent1", id: a.agentId, tasks: [...a.tasks.values()] });
    await again.subscribe();
    cleanup.push(() => again.disconnect());
    const nextClient = createMasterClient(next.url);
    const answer = await nextClient.call<AgentsAnswer>("GET_AGENTS");
    expect(answer.get_agents.agents[0]?.drain_info?.state).toBe("DRAINING");
    const inverse = await resubscribed.waitForEvent("INVERSE_OFFERS");
    expect(again.events.some((e) => e.type === "KILL_TASK")).toBe(false);
    await resubscribed.send({ type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: [{ value: inverseOfferId(inverse) }] } });
    await waitFor(() => again.events.some((e) => e.type === "KILL_TASK" && e.kill_task?.reason === "REASON_AGENT_DRAINING"));
  });
});

describe("--drain_timeout", () => {
  it("takes Mesos durations and refuses anything else, saying how to write one", () => {
    expect(parseDuration("60secs")).toBe(60);
    expect(parseDuration("500ms")).toBe(0.5);
    expect(parseDuration("5mins")).toBe(300);
    expect(parseDuration("2")).toBe(2);
    expect(MasterConfig.parse({}).drain_timeout).toBe(60);
    expect(MasterConfig.parse({ drain_timeout: "0secs" }).drain_timeout).toBe(0);
    const bad = MasterConfig.safeParse({ drain_timeout: "soon" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/60secs/);
    expect(bad.error?.issues[0]?.path).toEqual(["drain_timeout"]);
  });
});
