import { describe, expect, it } from "vitest";
import { applyOperatorEvent } from "../dns/cluster-events.js";
import { clusterViewFromMasterState } from "../dns/cluster.js";
import { buildVipTable, toVipsResponse } from "./table.js";

const task = (id: string, agent: string, port: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: "web",
  slave_id: agent,
  state: "TASK_RUNNING",
  resources: { ports: `[${port}-${port}]` },
  statuses: [{ state: "TASK_RUNNING", timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: "172.17.0.9" }] }] } }],
  discovery: { visibility: "FRAMEWORK", name: "web", ports: { ports: [{ number: port, protocol: "tcp", labels: { labels: [{ key: "VIP_0", value: "/web:80" }] } }] } },
  ...extra,
});

const state = (tasks: unknown[]) => ({
  leader: "master@10.0.0.1:5050",
  slaves: [
    { id: "S1", hostname: "h1", pid: "slave(1)@10.0.1.1:5051" },
    { id: "S2", hostname: "h2", pid: "slave(1)@10.0.1.2:5051" },
  ],
  frameworks: [{ id: "fw", name: "marathon", tasks }],
});

describe("buildVipTable", () => {
  it("groups backends of a named VIP and hashes its address", () => {
    const view = clusterViewFromMasterState(state([task("t1", "S1", 31000), task("t2", "S2", 31001)]));
    const table = buildVipTable(view, "11.0.0.0/8");
    expect(table).toHaveLength(1);
    expect(table[0]!.key).toBe("web.marathon.l4lb.thisdcos.directory:80");
    expect(table[0]!.ip).toMatch(/^11\./);
    expect(table[0]!.backends.map((b) => `${b.ip}:${b.port}`)).toEqual(["10.0.1.1:31000", "10.0.1.2:31001"]);
    expect(toVipsResponse(table)).toEqual([
      { vip: "web.marathon.l4lb.thisdcos.directory:80", protocol: "tcp", backend: [{ ip: "10.0.1.1", port: 31000 }, { ip: "10.0.1.2", port: 31001 }] },
    ]);
  });

  it("uses host port mappings for bridge tasks and the container IP on container networks", () => {
    const bridge = task("b", "S1", 31005, {
      container: { type: "DOCKER", docker: { network: "BRIDGE", port_mappings: [{ host_port: 31005, container_port: 6379 }] } },
      discovery: { visibility: "FRAMEWORK", ports: { ports: [{ number: 6379, labels: { labels: [{ key: "vip", value: "redis:6379" }] } }] } },
      resources: { ports: "[31005-31005]" },
    });
    const overlay = task("c", "S1", 5432, {
      container: { type: "MESOS", network_infos: [{ name: "dcos" }] },
      resources: { ports: "[]" },
      discovery: { visibility: "FRAMEWORK", ports: { ports: [{ number: 5432, labels: { labels: [{ key: "VIP_1", value: "10.10.10.10:5432" }] } }] } },
    });
    const table = buildVipTable(clusterViewFromMasterState(state([bridge, overlay])), "11.0.0.0/8");
    expect(table.map((e) => [e.key, e.backends.map((b) => `${b.ip}:${b.port}`)])).toEqual([
      ["10.10.10.10:5432", ["172.17.0.9:5432"]],
      ["redis.marathon.l4lb.thisdcos.directory:6379", ["10.0.1.1:31005"]],
    ]);
  });

  it("reads the legacy VIP_PORT<n> task label", () => {
    const legacy = task("l", "S2", 31007, { discovery: undefined, labels: [{ key: "VIP_PORT0", value: "udp://dns:53" }] });
    const [entry] = buildVipTable(clusterViewFromMasterState(state([legacy])), "11.0.0.0/8");
    expect(entry).toMatchObject({ key: "dns.marathon.l4lb.thisdcos.directory:53", protocol: "udp", backends: [{ ip: "10.0.1.2", port: 31007, weight: 1 }] });
  });

  it("follows the event stream: unhealthy gets weight 0, terminal tasks leave", () => {
    let view = clusterViewFromMasterState(state([task("t1", "S1", 31000), task("t2", "S2", 31001)]));
    view = applyOperatorEvent(view, { type: "TASK_UPDATED", task_updated: { framework_id: { value: "fw" }, state: "TASK_RUNNING", status: { task_id: { value: "t1" }, state: "TASK_RUNNING", healthy: false } } });
    expect(buildVipTable(view, "11.0.0.0/8")[0]!.backends.map((b) => b.weight)).toEqual([0, 1]);
    view = applyOperatorEvent(view, { type: "TASK_UPDATED", task_updated: { state: "TASK_KILLED", status: { task_id: { value: "t2" }, state: "TASK_KILLED" } } });
    expect(buildVipTable(view, "11.0.0.0/8")[0]!.backends.map((b) => b.taskId)).toEqual(["t1"]);
    view = applyOperatorEvent(view, { type: "TASK_ADDED", task_added: { task: { ...task("t3", "S2", 31009), framework_id: { value: "fw" }, agent_id: { value: "S2" }, task_id: { value: "t3" }, state: "TASK_STAGING", statuses: [] } } });
    expect(buildVipTable(view, "11.0.0.0/8")[0]!.backends).toHaveLength(1);
    view = applyOperatorEvent(view, { type: "TASK_UPDATED", task_updated: { state: "TASK_RUNNING", status: { task_id: { value: "t3" }, state: "TASK_RUNNING" } } });
    expect(buildVipTable(view, "11.0.0.0/8")[0]!.backends.map((b) => b.taskId)).toEqual(["t1", "t3"]);
  });
});
