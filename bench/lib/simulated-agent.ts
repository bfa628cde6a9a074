/**
 * The SUBSCRIBE a simulated agent sends (bench/failover-agents.ts over TCP, bench/reregistration.bench.ts
 * in process): its id and its RUNNING tasks, as an agent that had registered before re-subscribes.
 * The tasks are shaped as in Mesos' MasterFailover benchmark (src/tests/master_benchmarks.cpp): spread
 * evenly over FRAMEWORKS_PER_AGENT frameworks, each with 10 labels, cpus:0.1;mem:5 and a command, on
 * an agent of cpus:20;mem:10240. Each also carries its latest status, as Caravel's agents send it
 * (Mesos' benchmark left statuses out).
 */
import { AGENT_API_PATH, parseResources } from "@caravel/api";

const FRAMEWORKS_PER_AGENT = 5;
const LABELS_PER_TASK = 10;
/** The shape of the simulated agents' SUBSCRIBEs, for the benchmarks' records. */
export const AGENT_SHAPE = `tasks as in Mesos' benchmark (${FRAMEWORKS_PER_AGENT} frameworks per agent, ${LABELS_PER_TASK} labels per task) plus a status each`;
const frameworkId = (k: number): string => `failover-scale-framework-${k}`;
const taskResources = parseResources("cpus:0.1;mem:5");
const agentResources = parseResources("cpus:20;mem:10240");
const labels = { labels: Array.from({ length: LABELS_PER_TASK }, (_, i) => ({ key: `key${i}`, value: `value${i}` })) };

/** The SUBSCRIBE body of agent `index` with `tasksPerAgent` running tasks. */
export function subscribeBody(index: number, tasksPerAgent: number): Buffer {
  const agentId = `bench-S${index}`;
  const tasks = Array.from({ length: tasksPerAgent }, (_, k) => {
    const id = `t-${index}-${k}`;
    const status = { task_id: { value: id }, state: "TASK_RUNNING", source: "SOURCE_EXECUTOR", timestamp: 1_700_000_000 };
    return {
      framework_id: { value: frameworkId(k % FRAMEWORKS_PER_AGENT) },
      info: { name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: taskResources, command: { shell: true, value: "dummy command" }, labels },
      state: "TASK_RUNNING",
      latest_status: status,
    };
  });
  const frameworks = Array.from({ length: FRAMEWORKS_PER_AGENT }, (_, k) => ({
    user: "root",
    name: "failover-scale",
    id: { value: frameworkId(k) },
    failover_timeout: 3600,
    checkpoint: true,
    capabilities: [],
  }));
  return Buffer.from(
    JSON.stringify({
      type: "SUBSCRIBE",
      subscribe: {
        agent_info: { hostname: `sim-${index}`, port: 5051, resources: agentResources, attributes: [], id: { value: agentId } },
        ip: "127.0.0.1",
        version: "bench",
        tasks,
        frameworks,
        containerizers: ["sim"],
      },
    }),
  );
}

/** The whole HTTP request carrying `body` to the master at `host`. */
export function subscribeRequest(host: string, body: Buffer): Buffer {
  const head =
    `POST ${AGENT_API_PATH} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json\r\n` +
    `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}
