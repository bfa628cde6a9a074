/**
 * `--master zk://…/mesos` for caravel-dns and caravel-l4lb: two caravel-masters elect a leader in a
 * real ZooKeeper; both find it there, serve its tasks, and after the leader is killed (-9) follow the
 * new one (its SUBSCRIBE stream plus a full resync): `_leader._tcp` moves to the new leader's port and
 * a task launched through the new leader resolves and gets its VIP backend.
 * Needs ZooKeeper (apt-get install -y --no-install-recommends zookeeper) and dig (bind9-dnsutils).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startZooKeeper, type ZooKeeperServer } from "../../packages/coordination/src/testing/index.js";
import { dig } from "../../packages/dns/src/testing/dig.js";
import { builders, freePort, TestFramework } from "../harness/index.js";
import { startFromSource, until } from "../harness/source-process.js";

const children: ChildProcess[] = [];
const frameworks: TestFramework[] = [];
let zk: ZooKeeperServer;
beforeAll(async () => {
  zk = await startZooKeeper();
}, 120_000);
afterAll(async () => {
  for (const f of frameworks) await f.close().catch(() => undefined);
  for (const c of children) c.kill("SIGKILL");
  await zk?.stop();
});




interface Vip {
  vip: string;
  backend: { ip: string; port: number }[];
}

describe("caravel-dns and caravel-l4lb with --master zk://", () => {
  it("follow the elected master through a leader kill", { timeout: 420_000 }, async () => {
    const zkUrl = zk.url("/mesos");
    const ports = [await freePort(), await freePort()];
    const masters = ports.map((port) =>
      startFromSource("master", ["--port", String(port), "--zk", zkUrl, "--zk_session_timeout", "4", "--work_dir", mkdtempSync(join(tmpdir(), "e2e-dnszk-m-")), "--log_level", "warn", "--agent_ping_timeout", "2"], children),
    );
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const procs = [...masters];
    const context = () => procs.map((p) => p.out()).join("\n");
    const leaderIndex = async () => {
      for (const [i, u] of urls.entries()) {
        const r = await fetch(`${u}/master/state`, { redirect: "manual" }).catch(() => undefined);
        if (r?.status === 200) {
          const state = (await r.json()) as { leader?: string; pid?: string };
          if (state.leader && state.leader === state.pid) return i + 1;
        }
      }
      return undefined;
    };
    const first = (await until("a leader", leaderIndex, 120_000, context)) - 1;
    procs.push(startFromSource("agent", ["--master", zkUrl, "--port", "0", "--work_dir", mkdtempSync(join(tmpdir(), "e2e-dnszk-a-")), "--containerizers", "sim", "--registration_backoff_factor", "0.1", "--log_level", "warn"], children));
    const [dnsPort, dnsHttp, lbHttp] = [await freePort(), await freePort(), await freePort()];
    procs.push(startFromSource("dns", ["--master", zkUrl, "--port", String(dnsPort), "--http_port", String(dnsHttp), "--authoritative_only", "true", "--refresh_seconds", "300", "--vip_cidr", "127.0.0.0/8", "--log_level", "info"], children));
    procs.push(startFromSource("l4lb", ["--master", zkUrl, "--http_port", String(lbHttp), "--data_plane", "userspace", "--vip_cidr", "127.0.0.0/8", "--refresh_seconds", "300", "--log_level", "info"], children));

    const leaderPort = async () => (await dig(dnsPort, "_leader._tcp.mesos", "SRV")).answers[0]?.data.split(" ")[2];
    await until("caravel-dns to name the first leader", async () => (await leaderPort()) === String(ports[first]), 120_000, context);
    await until("caravel-l4lb to sync", async () => (await fetch(`http://127.0.0.1:${lbHttp}/health`)).ok, 60_000, context);

    // A task through the first leader: resolves, and its VIP gets a backend.
    const launch = async (masterUrl: string, framework: string, id: string, port: number) => {
      const fw = await TestFramework.subscribe(masterUrl, { frameworkInfo: { name: framework } });
      frameworks.push(fw);
      const [offer] = await fw.waitForOffers(1, { timeoutMs: 120_000 });
      const task = builders.taskFor(offer!, {
        id,
        resources: `cpus:0.1;mem:16;ports:[${port}-${port}]`,
        discovery: { visibility: "FRAMEWORK", name: id.split(".")[0], ports: { ports: [{ number: port, name: "http", protocol: "tcp", labels: { labels: [{ key: "VIP_0", value: `/${id.split(".")[0]}:80` }] } }] } },
      } as never);
      await fw.launch(offer!, [task]);
      await fw.waitForTaskState(id, "TASK_RUNNING", { timeoutMs: 120_000 });
      return fw;
    };
    const vips = async () => (await (await fetch(`http://127.0.0.1:${lbHttp}/v1/vips`)).json()) as Vip[];
    const web = await launch(urls[first]!, "alpha", "web.zk-1", 31011);
    await until("web.alpha.mesos to resolve", async () => (await dig(dnsPort, "web.alpha.mesos")).answers.length === 1, 60_000, context);
    await until("the web VIP to get its backend", async () => (await vips()).some((v) => v.backend.some((b) => b.port === 31011)), 60_000, context);
    await web.close();

    // Kill the leader: both follow the new one.
    masters[first]!.child.kill("SIGKILL");
    const other = 1 - first;
    await until("the other master to lead", async () => (await leaderIndex()) === other + 1, 180_000, context);
    await until("caravel-dns to name the new leader", async () => (await leaderPort()) === String(ports[other]), 120_000, context);

    await launch(urls[other]!, "beta", "api.zk-2", 31012);
    await until("api.beta.mesos to resolve (the stream of the new leader)", async () => (await dig(dnsPort, "api.beta.mesos")).answers.length === 1, 60_000, context);
    await until("the api VIP to get its backend from the new leader", async () => (await vips()).some((v) => v.backend.some((b) => b.port === 31012)), 60_000, context);
    expect((await dig(dnsPort, "api.beta.l4lb.thisdcos.directory")).answers[0]?.data).toMatch(/^127\./);
  });
});
