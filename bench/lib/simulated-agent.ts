/**
 * The SUBSCRIBE a simulated agent sends (bench/failover-agents.ts over TCP, bench/reregistration.bench.ts
 * in process): its id and its RUNNING tasks, as an agent that had registered before re-subscribes.
 */
import { AGENT_API_PATH, parseResources } from "@caravel/api";

export const FRAMEWORK_ID = "failover-scale-framework";
const taskResources = parseResources("cpus:0.1;mem:32");
const agentResources = parseResources("cpus:16;mem:16384;disk:10000");

/** The SUBSCRIBE body of agent `index` with `tasksPerAgent` running tasks. */
export function subscribeBody(index: number, tasksPerAgent: number): Buffer {
  const agentId = `bench-S${index}`;
  const tasks = Array.from({ length: tasksPerAgent }, (_, k) => {
    const id = `t-${index}-${k}`;
    const status = { task_id: { value: id }, state: "TASK_RUNNING", source: "SOURCE_EXECUTOR", timestamp: 1_700_000_000 };
    return {
      framework_id: { value: FRAMEWORK_ID },
      info: { name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: taskResources, command: { shell: true, value: "sleep 1000" } },
      state: "TASK_RUNNING",
      latest_status: status,
    };
  });
  return Buffer.from(
    JSON.stringify({
      type: "SUBSCRIBE",
      subscribe: {
        agent_info: { hostname: `sim-${index}`, port: 5051, resources: agentResources, attributes: [], id: { value: agentId } },
        ip: "127.0.0.1",
        version: "bench",
        tasks,
        frameworks: [{ user: "root", name: "failover-scale", id: { value: FRAMEWORK_ID }, failover_timeout: 3600, checkpoint: true, capabilities: [] }],
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
