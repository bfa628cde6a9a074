/**
 * A realistic legacy `/master/state` document (Mesos' shape, as Mesos-DNS and dcos-net read it):
 * Marathon with a host-networked app with a named VIP, a bridge-networked Redis, a task on a
 * container network, a staging task and a non-Marathon framework. Used by tests and benchmarks.
 */

export interface FixtureTask {
  id: string;
  name: string;
  state?: string;
  agent?: string;
  ports?: string;
  discovery?: unknown;
  container?: unknown;
  ip?: string;
  healthy?: boolean;
  labels?: { key: string; value: string }[];
}

export const AGENTS = [
  { id: "a1b2-S1", ip: "10.0.1.1", hostname: "agent1.example" },
  { id: "a1b2-S2", ip: "10.0.1.2", hostname: "agent2.example" },
];

export function legacyTask(t: FixtureTask, frameworkId = "fw-marathon"): Record<string, unknown> {
  const state = t.state ?? "TASK_RUNNING";
  const agent = t.agent ?? AGENTS[0]!.id;
  const agentIp = AGENTS.find((a) => a.id === agent)?.ip ?? "10.0.1.1";
  const status: Record<string, unknown> = {
    state,
    timestamp: 1_700_000_000.5,
    container_status: { network_infos: [{ ip_addresses: [{ protocol: "IPv4", ip_address: t.ip ?? agentIp }] }] },
  };
  if (t.healthy !== undefined) status["healthy"] = t.healthy;
  return {
    id: t.id,
    name: t.name,
    framework_id: frameworkId,
    executor_id: "",
    slave_id: agent,
    state,
    resources: { cpus: 0.1, gpus: 0, mem: 32, disk: 0, ports: t.ports ?? "[31000-31000]" },
    statuses: [{ state: "TASK_STAGING", timestamp: 1_700_000_000 }, status],
    labels: t.labels ?? [],
    ...(t.discovery ? { discovery: t.discovery } : {}),
    ...(t.container ? { container: t.container } : {}),
  };
}

/** Marathon's DiscoveryInfo for an app: one port per entry, with optional labels. */
export const marathonDiscovery = (name: string, ports: { number: number; name?: string; protocol?: string; vip?: string }[]) => ({
  visibility: "FRAMEWORK",
  name,
  ports: {
    ports: ports.map((p) => ({
      number: p.number,
      ...(p.name ? { name: p.name } : {}),
      protocol: p.protocol ?? "tcp",
      ...(p.vip ? { labels: { labels: [{ key: "VIP_0", value: p.vip }] } } : {}),
    })),
  },
});

export function legacyState(tasks: FixtureTask[] = defaultTasks(), extra: { otherTasks?: FixtureTask[] } = {}): Record<string, unknown> {
  return {
    version: "1.11.0",
    id: "master-1",
    pid: "master@10.0.0.1:5050",
    hostname: "master1.example",
    leader: "master@10.0.0.1:5050",
    leader_info: { id: "master-1", pid: "master@10.0.0.1:5050", port: 5050, hostname: "master1.example" },
    slaves: AGENTS.map((a) => ({ id: a.id, hostname: a.hostname, port: 5051, pid: `slave(1)@${a.ip}:5051`, active: true, resources: {} })),
    frameworks: [
      {
        id: "fw-marathon",
        name: "marathon",
        hostname: "10.0.0.1",
        webui_url: "http://10.0.0.1:8080",
        active: true,
        tasks: tasks.map((t) => legacyTask(t)),
        completed_tasks: [],
      },
      {
        id: "fw-spark",
        name: "Spark.Cluster_1",
        hostname: "10.0.0.9",
        pid: "scheduler-1@10.0.0.9:7077",
        active: true,
        tasks: (extra.otherTasks ?? [{ id: "spark-exec-1", name: "exec 1", ports: "[31010-31011]" }]).map((t) => legacyTask(t, "fw-spark")),
      },
    ],
  };
}

export function defaultTasks(): FixtureTask[] {
  return [
    {
      id: "prod_web_api.11111111-aaaa",
      name: "api.web.prod",
      ports: "[31000-31001]",
      discovery: marathonDiscovery("api.web.prod", [{ number: 31000, name: "http", vip: "/prod/web/api:80" }, { number: 31001, name: "admin" }]),
    },
    {
      id: "prod_web_api.22222222-bbbb",
      name: "api.web.prod",
      agent: "a1b2-S2",
      ports: "[31002-31003]",
      discovery: marathonDiscovery("api.web.prod", [{ number: 31002, name: "http", vip: "/prod/web/api:80" }, { number: 31003, name: "admin" }]),
    },
    {
      id: "redis.33333333-cccc",
      name: "redis",
      ports: "[31005-31005]",
      ip: "172.17.0.2",
      container: { type: "DOCKER", docker: { image: "redis", network: "BRIDGE", port_mappings: [{ host_port: 31005, container_port: 6379, protocol: "tcp" }] } },
      discovery: marathonDiscovery("redis", [{ number: 31005, name: "redis", vip: "redis:6379" }]),
    },
    {
      id: "db.44444444-dddd",
      name: "db",
      ports: "[]",
      ip: "9.0.0.5",
      container: { type: "MESOS", network_infos: [{ name: "dcos", ip_addresses: [{ ip_address: "9.0.0.5" }] }] },
      discovery: marathonDiscovery("db", [{ number: 5432, name: "pg", vip: "10.10.10.10:5432" }]),
    },
    { id: "starting.55555555-eeee", name: "starting", state: "TASK_STAGING", discovery: marathonDiscovery("starting", [{ number: 31020 }]) },
  ];
}
