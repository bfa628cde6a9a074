/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * A two-container pod on a real agent with Docker: container `web` serves busybox httpd on its
 * endpoint's container port in bridge networking; container `probe` reaches it over 127.0.0.1 because
 * the task group shares one network namespace, and reads what `web` wrote into their ephemeral volume;
 * its exec health check passes only then. The pod
 * is launched as one task group (LAUNCH_GROUP), scaled 1 → 2 → 1 by PUT, rolled on a config change,
 * an instance killed and replaced, reported STABLE, and deleted; a crashing pod is relaunched after a backoff;
 * instances survive kill -9 of Marathon; an unhealthy container gets its instance killed and replaced.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "@caravel/testing";
import { requireImage } from "../harness/index.js";
import { startMarathonCluster, type MarathonCluster } from "./cluster.js";

let c: MarathonCluster;
const created: string[] = [];

beforeAll(async () => {
  requireImage("local/busybox:1");
  c = await startMarathonCluster({ agents: 1, containerizers: "docker,mesos", resources: "cpus:4;mem:4096;disk:10000;ports:[31400-31499]" });
}, 120_000);

afterAll(async () => {
  for (const id of created) await c?.api("DELETE", `/v2/pods${id}?force=true`).catch(() => undefined);
});

const check = { gracePeriodSeconds: 60, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 0 };
const duo = (instances: number): { containers: Record<string, unknown>[] } & Record<string, unknown> => ({
  id: "/duo",
  networks: [{ mode: "container/bridge" }],
  volumes: [{ name: "shared" }],
  scaling: { kind: "fixed", instances },
  containers: [
    {
      name: "web",
      resources: { cpus: 0.1, mem: 32 },
      image: { kind: "DOCKER", id: "local/busybox:1" },
      exec: { command: { shell: "echo shared-by-web > /shared/note && mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www" } },
      volumeMounts: [{ name: "shared", mountPath: "/shared" }],
      endpoints: [{ name: "http", containerPort: 80, hostPort: 0 }],
      healthCheck: { http: { endpoint: "http", path: "/" }, ...check },
    },
    {
      name: "probe",
      resources: { cpus: 0.1, mem: 32 },
      image: { kind: "DOCKER", id: "local/busybox:1" },
      exec: { command: { shell: "while true; do wget -qO /tmp/got http://127.0.0.1:80/ || rm -f /tmp/got; sleep 1; done" } },
      volumeMounts: [{ name: "shared", mountPath: "/shared", readOnly: true }],
      healthCheck: { exec: { command: { shell: "grep -q hello-from-web /tmp/got && grep -q shared-by-web /shared/note" } }, ...check },
    },
  ],
});

const status = async () => (await c.api("GET", "/v2/pods/duo::status")).json;
const settled = async (n: number) => {
  const s = await status();
  const deployments = (await c.api("GET", "/v2/deployments")).json as any[];
  return s.status === "STABLE" && s.instances.length === n && s.instances.every((i: any) => i.status === "STABLE") && deployments.length === 0;
};

it("runs a 2-container pod sharing one network namespace, scales 1 → 2 → 1, and deletes it", { timeout: 300_000 }, async () => {
  const post = await c.api("POST", "/v2/pods", duo(1));
  expect(post.status).toBe(201);
  created.push("/duo");
  await waitFor(() => settled(1), { timeoutMs: 120_000, message: "the pod to become STABLE with 1 instance" });
  const first = (await status()).instances[0];
  expect(first.containers.map((x: any) => [x.name, x.status])).toEqual([
    ["web", "TASK_RUNNING"],
    ["probe", "TASK_RUNNING"],
  ]);
  const port = first.containers[0].endpoints[0].allocatedHostPort;
  expect(port).toBeGreaterThanOrEqual(31400);
  // The web container is published on the agent through the group's (first container's) namespace.
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("hello-from-web");
  // One task group on the master: both tasks under one executor.
  const master = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
  const tasks = master.frameworks.flatMap((f: any) => f.tasks).filter((t: any) => t.id.startsWith(first.id));
  expect(tasks.map((t: any) => t.id).sort()).toEqual([`${first.id}.probe`, `${first.id}.web`]);
  expect(new Set(tasks.map((t: any) => t.executor_id)).size).toBe(1);

  expect((await c.api("PUT", "/v2/pods/duo", duo(2))).status).toBe(200);
  await waitFor(() => settled(2), { timeoutMs: 120_000, message: "the pod to become STABLE with 2 instances" });
  expect((await status()).instances.map((i: any) => i.id)).toContain(first.id);

  // A config change replaces every instance (rolling, as for apps).
  const before = new Set((await status()).instances.map((i: any) => i.id));
  const changed = duo(2);
  changed.containers[1]!.environment = { ROLLED: "1" };
  const put = await c.api("PUT", "/v2/pods/duo", changed);
  expect(put.status).toBe(200);
  await waitFor(async () => (await settled(2)) && (await status()).instances.every((i: any) => !before.has(i.id)), { timeoutMs: 120_000, message: "a rolling replacement of both instances" });

  // Killing one instance gets it replaced: the pod keeps its size.
  const victim = (await status()).instances[0].id;
  expect((await c.api("DELETE", `/v2/pods/duo::instances/${victim}`)).json.id).toBe(victim);
  await waitFor(async () => (await settled(2)) && !(await status()).instances.some((i: any) => i.id === victim), { timeoutMs: 120_000, message: "the killed instance to be replaced" });

  expect((await c.api("PUT", "/v2/pods/duo", { ...changed, scaling: { kind: "fixed", instances: 1 } })).status).toBe(200);
  await waitFor(() => settled(1), { timeoutMs: 120_000, message: "the pod to scale back to 1 STABLE instance" });

  expect((await c.api("DELETE", "/v2/pods/duo")).status).toBe(202);
  await waitFor(async () => (await c.api("GET", "/v2/pods/duo")).status === 404 && ((await c.api("GET", "/v2/deployments")).json as any[]).length === 0, {
    timeoutMs: 60_000,
    message: "the pod's deletion to finish",
  });
  await waitFor(
    async () => {
      const state = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
      return state.frameworks.flatMap((f: any) => f.tasks).filter((t: any) => t.id.startsWith("duo.") && t.state !== "TASK_KILLED").length === 0;
    },
    { timeoutMs: 60_000, message: "every task of the pod to be killed" },
  );
  created.length = 0;
});

it("relaunches a failing pod with backoff", { timeout: 180_000 }, async () => {
  const crashy = {
    id: "/crashy",
    containers: [
      { name: "main", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1; exit 3" } } },
      { name: "side", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } },
    ],
    scheduling: { backoff: { backoff: 3, backoffFactor: 2, maxLaunchDelay: 60 } },
  };
  expect((await c.api("POST", "/v2/pods", crashy)).status).toBe(201);
  created.push("/crashy");
  const failedInstances = async () => {
    const state = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
    const done = state.frameworks.flatMap((f: any) => [...f.tasks, ...f.completed_tasks]).filter((t: any) => t.id.startsWith("crashy.") && t.id.endsWith(".main") && t.state === "TASK_FAILED");
    return new Set(done.map((t: any) => t.id)).size;
  };
  await waitFor(async () => (await failedInstances()) >= 2, { timeoutMs: 90_000, message: "two failed launches of the pod" });
  // After a failure the next launch waits (3 s here): the queue shows the pod backed off.
  await waitFor(
    async () => {
      const item = ((await c.api("GET", "/v2/queue")).json.queue as any[]).find((q) => q.pod?.id === "/crashy");
      return item !== undefined && item.delay.overdue === false && item.delay.timeLeftSeconds > 0;
    },
    { timeoutMs: 60_000, message: "the pod to show a backoff delay in /v2/queue" },
  );
  // The side container was taken down with the failing one (the group lives and dies as one).
  const state = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
  const sides = state.frameworks.flatMap((f: any) => [...f.tasks, ...f.completed_tasks]).filter((t: any) => t.id.startsWith("crashy.") && t.id.endsWith(".side"));
  expect(sides.filter((t: any) => t.state === "TASK_KILLED").length).toBeGreaterThanOrEqual(1);
  expect((await c.api("DELETE", "/v2/pods/crashy?force=true")).status).toBe(202);
  created.splice(created.indexOf("/crashy"), 1);
});

it("keeps a pod's instances across kill -9 of Marathon, without duplicates, and still manages them", { timeout: 180_000 }, async () => {
  const quiet = {
    id: "/quiet",
    scaling: { kind: "fixed", instances: 2 },
    containers: [
      { name: "one", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } },
      { name: "two", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } },
    ],
  };
  expect((await c.api("POST", "/v2/pods", quiet)).status).toBe(201);
  created.push("/quiet");
  const quietStatus = async () => (await c.api("GET", "/v2/pods/quiet::status")).json;
  const stable = async (n: number) => {
    const s = await quietStatus();
    return s.status === "STABLE" && s.instances.length === n && ((await c.api("GET", "/v2/deployments")).json as any[]).length === 0;
  };
  await waitFor(() => stable(2), { timeoutMs: 90_000, message: "2 STABLE instances of /quiet" });
  const ids = (await quietStatus()).instances.map((i: any) => i.id).sort();
  c.marathon.kill("SIGKILL");
  await c.marathon.wait();
  await c.startMarathon();
  await waitFor(() => stable(2), { timeoutMs: 90_000, message: "/quiet STABLE again after the restart" });
  expect((await quietStatus()).instances.map((i: any) => i.id).sort()).toEqual(ids);
  const running = async () => {
    const state = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
    return state.frameworks.flatMap((f: any) => f.tasks).filter((t: any) => t.id.startsWith("quiet.") && t.state === "TASK_RUNNING").length;
  };
  expect(await running()).toBe(4);
  // The recovered instances' container tasks are still known: killing one instance replaces it.
  expect((await c.api("DELETE", `/v2/pods/quiet::instances/${ids[0]}`)).status).toBe(200);
  await waitFor(async () => (await stable(2)) && !(await quietStatus()).instances.some((i: any) => i.id === ids[0]) && (await running()) === 4, {
    timeoutMs: 90_000,
    message: "the killed instance to be replaced after the restart",
  });
  expect((await c.api("DELETE", "/v2/pods/quiet")).status).toBe(202);
  await waitFor(async () => (await running()) === 0, { timeoutMs: 60_000, message: "the pod's tasks to be killed" });
  created.splice(created.indexOf("/quiet"), 1);
});

it("kills a pod instance whose container fails its health check, and relaunches it", { timeout: 180_000 }, async () => {
  const controller = new AbortController();
  const events = await fetch(`${c.marathonUrl}/v2/events?event_type=unhealthy_instance_kill_event`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
  const sick = {
    id: "/sick",
    containers: [
      {
        name: "main",
        resources: { cpus: 0.1, mem: 32 },
        exec: { command: { shell: "sleep 1000" } },
        endpoints: [{ name: "nothing", hostPort: 0 }],
        healthCheck: { tcp: { endpoint: "nothing" }, gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 1, delaySeconds: 0 },
      },
      { name: "side", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } },
    ],
  };
  expect((await c.api("POST", "/v2/pods", sick)).status).toBe(201);
  created.push("/sick");
  const reader = events.body!.getReader();
  let text = "";
  while (!text.includes("event: unhealthy_instance_kill_event")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  controller.abort();
  expect(text).toContain('"appId":"/sick"');
  const state = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
  const launched = new Set(state.frameworks.flatMap((f: any) => [...f.tasks, ...f.completed_tasks]).filter((t: any) => t.id.startsWith("sick.")).map((t: any) => t.id.split(".").slice(0, 2).join(".")));
  await waitFor(
    async () => {
      const s = (await (await fetch(`${c.masterUrl}/master/state`)).json()) as any;
      return new Set(s.frameworks.flatMap((f: any) => [...f.tasks, ...f.completed_tasks]).filter((t: any) => t.id.startsWith("sick.")).map((t: any) => t.id.split(".").slice(0, 2).join("."))).size > launched.size;
    },
    { timeoutMs: 90_000, message: "a replacement instance of /sick" },
  );
  expect((await c.api("DELETE", "/v2/pods/sick?force=true")).status).toBe(202);
  created.splice(created.indexOf("/sick"), 1);
});

it("launches an app and a pod posted together onto one agent (offers shared by LAUNCH and LAUNCH_GROUP)", { timeout: 120_000 }, async () => {
  const [app, pod] = await Promise.all([
    c.api("POST", "/v2/apps", { id: "/neighbour", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 2 }),
    c.api("POST", "/v2/pods", { id: "/mixed", scaling: { instances: 2 }, containers: [{ name: "x", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } }] }),
  ]);
  expect([app.status, pod.status]).toEqual([201, 201]);
  created.push("/mixed");
  await waitFor(
    async () => {
      const tasks = ((await c.api("GET", "/v2/apps/neighbour/tasks")).json.tasks as any[]).filter((t) => t.state === "TASK_RUNNING");
      const s = (await c.api("GET", "/v2/pods/mixed::status")).json;
      return tasks.length === 2 && s.status === "STABLE" && s.instances.length === 2;
    },
    { timeoutMs: 90_000, message: "2 app tasks and 2 pod instances running" },
  );
  expect((await c.api("DELETE", "/v2/apps/neighbour?force=true")).status).toBe(200);
  expect((await c.api("DELETE", "/v2/pods/mixed?force=true")).status).toBe(202);
  created.splice(created.indexOf("/mixed"), 1);
});
