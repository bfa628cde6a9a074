/**
 * Docker-containerizer behaviour beyond the shared contract, against the real engine: OOM, a port
 * mapping reachable over HTTP, a shared network namespace, a failed pull, the create options as the
 * engine recorded them, volumes and usage. Every container carries this run's agent label and is
 * removed after each test, pass or fail.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TaskInfo } from "@caravel/api";
import { waitUntil } from "../contract/containerizer.contract.js";
import { LaunchError, type LaunchSpec } from "../types.js";
import { DOCKER_MISSING, DockerContainerizer } from "./docker-containerizer.js";
import { LABEL } from "./docker-spec.js";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const agentId = `docker-engine-${process.pid}`;
const root = mkdtempSync(join(tmpdir(), "caravel-docker-engine-"));
const containerizer = new DockerContainerizer({ docker, hostIp: "127.0.0.1" });

function spec(command: string | undefined, dockerInfo: Record<string, unknown> = {}, extra: Partial<LaunchSpec> = {}): LaunchSpec {
  const containerId = `de-${randomUUID()}`;
  const sandbox = join(root, containerId);
  mkdirSync(sandbox, { recursive: true });
  const task = TaskInfo.parse({
    name: "t",
    task_id: { value: containerId },
    agent_id: { value: agentId },
    resources: [],
    command: command === undefined ? undefined : { value: command },
    container: { type: "DOCKER", docker: { image: "local/busybox:1", network: "BRIDGE", ...dockerInfo } },
  });
  return { containerId, agentId, frameworkId: "f1", task, sandbox, env: { MESOS_SANDBOX: sandbox }, limits: { cpus: 0.25, memMb: 64, diskMb: 0, gpus: 0 }, ports: [], volumes: [], ...extra };
}
const out = (s: LaunchSpec): string => readFileSync(join(s.sandbox, "stdout"), "utf8");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function removeOurs(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.agentId}=${agentId}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  await docker.ping().catch(() => {
    throw new Error(DOCKER_MISSING);
  });
  await docker.getImage("local/busybox:1").inspect().catch(() => {
    throw new Error("image local/busybox:1 missing: run `bash scripts/build-images`");
  });
});
afterEach(removeOurs);
afterAll(async () => {
  await containerizer.close();
  await removeOurs();
});

describe("docker containerizer against the engine", () => {
  it("reports an OOM kill (16 MiB limit) as oomKilled with REASON_CONTAINER_LIMITATION_MEMORY", async () => {
    const s = spec("head -c 200000000 /dev/zero | tail", {}, { limits: { cpus: 0.5, memMb: 16, diskMb: 0, gpus: 0 } });
    await containerizer.launch(s);
    const exit = await containerizer.wait(s.containerId);
    expect(exit).toMatchObject({ oomKilled: true, reason: "REASON_CONTAINER_LIMITATION_MEMORY" });
    await containerizer.destroy(s.containerId);
  });

  it("learns an OOM kill that happened while no instance watched (recovery)", async () => {
    const first = new DockerContainerizer({ docker });
    const s = spec("sleep 1; head -c 200000000 /dev/zero | tail", {}, { limits: { cpus: 0.5, memMb: 16, diskMb: 0, gpus: 0 } });
    const checkpoint = await first.launch(s);
    await first.close();
    const container = docker.getContainer(checkpoint.handle["dockerId"] as string);
    await waitUntil("the container to die", async () => !(await container.inspect()).State.Running);
    const second = new DockerContainerizer({ docker });
    expect(await second.recover([checkpoint])).toEqual([]);
    expect(await second.wait(s.containerId)).toMatchObject({ oomKilled: true, reason: "REASON_CONTAINER_LIMITATION_MEMORY" });
    await second.destroy(s.containerId);
    await second.close();
  });

  it("maps an offered host port to the container so HTTP reaches busybox httpd", async () => {
    const port = await freePort();
    const s = spec("echo hello-httpd > /tmp/index.html && exec httpd -f -p 80 -h /tmp", { port_mappings: [{ host_port: 0, container_port: 80 }] }, { ports: [port] });
    await containerizer.launch(s);
    let body = "";
    await waitUntil("httpd to answer through the mapped port", async () => {
      body = await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => (r.ok ? r.text() : ""), () => "");
      return body !== "";
    });
    expect(body).toBe("hello-httpd\n");
    expect(containerizer.info(s.containerId).ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const usage = await containerizer.usage(s.containerId);
    expect(usage?.memLimitBytes).toBe(64 * 1024 * 1024);

    // A task-group member joins the first container's network namespace.
    const member = spec("wget -qO- http://127.0.0.1:80/index.html", {}, { networkOf: s.containerId });
    await containerizer.launch(member);
    expect((await containerizer.wait(member.containerId)).exitCode).toBe(0);
    await waitUntil("the member's output", () => out(member).includes("hello-httpd"));

    await containerizer.kill(s.containerId, 2000);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(null);
    await expect(docker.getContainer(`mesos-${s.containerId}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("a failed pull fails the launch with REASON_CONTAINER_PREPARATION_FAILED and the engine's message", async () => {
    const s = spec("true", { image: "127.0.0.1:9/caravel/nonexistent:1" });
    const err = await containerizer.launch(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).reason).toBe("REASON_CONTAINER_PREPARATION_FAILED");
    expect((err as LaunchError).message).toMatch(/Failed to pull image '127\.0\.0\.1:9\/caravel\/nonexistent:1': .*(connection refused|dial tcp)/);
  });

  it("force_pull_image pulls even a local image (which fails here: no registry)", async () => {
    const err = await containerizer.launch(spec("true", { force_pull_image: true })).catch((e: unknown) => e);
    expect((err as LaunchError).reason).toBe("REASON_CONTAINER_PREPARATION_FAILED");
  });

  it("creates the container with Init, limits, labels, DNS, volumes and the image's default command", async () => {
    const hostDir = join(root, `vol-${randomUUID()}`);
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, "in.txt"), "from-host\n");
    const s = spec(
      "cat data/in.txt; echo written > data/out.txt; sleep 300",
      {},
      { dnsServer: "10.99.0.53", volumes: [{ hostPath: hostDir, containerPath: "data", readOnly: false }] },
    );
    const checkpoint = await containerizer.launch(s);
    const info = await docker.getContainer(checkpoint.handle["dockerId"] as string).inspect();
    expect(info.HostConfig).toMatchObject({ Init: true, Memory: 64 * 1024 * 1024, CpuShares: 256, Dns: ["10.99.0.53"] });
    expect(info.Config.Labels).toMatchObject({ [LABEL.taskId]: s.containerId, [LABEL.frameworkId]: "f1", [LABEL.agentId]: agentId, [LABEL.containerId]: s.containerId });
    expect(info.Config.Env).toContain("MESOS_SANDBOX=/mnt/mesos/sandbox");
    await waitUntil("the volume to be read and written", () => out(s).includes("from-host") && readFileSync(join(hostDir, "out.txt"), "utf8") === "written\n");
    expect(await containerizer.findByLabel(LABEL.containerId, s.containerId)).toEqual([checkpoint.handle["dockerId"]]);
    await containerizer.destroy(s.containerId);
    await containerizer.destroy(s.containerId);
    expect(await containerizer.findByLabel(LABEL.containerId, s.containerId)).toEqual([]);
  });

  it("removes orphans: this agent's containers that no checkpoint knows", async () => {
    const kept = spec("sleep 300");
    const orphan = spec("sleep 300");
    await containerizer.launch(kept);
    await containerizer.launch(orphan);
    const fresh = new DockerContainerizer({ docker });
    expect(await fresh.removeOrphans(agentId, [kept.containerId])).toEqual([orphan.containerId]);
    expect(await fresh.findByLabel(LABEL.containerId, orphan.containerId)).toEqual([]);
    expect(await fresh.findByLabel(LABEL.containerId, kept.containerId)).toHaveLength(1);
    await fresh.close();
  });

  it("says how to get an engine when the socket answers nothing", async () => {
    const missing = new DockerContainerizer({ docker: new Docker({ socketPath: join(root, "no-docker.sock") }) });
    expect(await missing.available()).toBe(false);
    const fake = { containerId: "x", containerizer: "docker" as const, handle: { dockerId: "abc" }, spec: spec("true") };
    await expect(missing.recover([fake])).rejects.toThrow(/cannot recover Docker containers: Docker engine not running/);
    await expect(missing.launch(spec("true"))).rejects.toMatchObject({ reason: "REASON_CONTAINER_LAUNCH_FAILED", message: DOCKER_MISSING });
  });

  it("HOST networking: the task sees the host's network and reports no container IP", async () => {
    const s = spec("echo port=$PORT0; cat /proc/net/dev | grep -c docker0", { network: "HOST" }, { env: { MESOS_SANDBOX: "/x", PORT0: "31999" } });
    await containerizer.launch(s);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(0);
    await waitUntil("the output", () => /port=31999\n1\n/.test(out(s)));
    expect(containerizer.info(s.containerId).ipAddress).toBeUndefined();
    await containerizer.destroy(s.containerId);
  });

  it("runs the image's default command when the task has none", async () => {
    const s = spec(undefined);
    await containerizer.launch(s);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(0); // CMD /bin/sh with no stdin exits 0
    await containerizer.destroy(s.containerId);
  });
});
