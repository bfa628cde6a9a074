/**
 * The README's multi-machine install, on hosts made of network namespaces: a ZooKeeper ensemble,
 * two machines running `caravel-launch start --role master` and one running `--role agent`. One
 * master and one Marathon lead; an app posted to the other Marathon runs on the agent machine and
 * resolves through that machine's DNS (its 198.51.100.1 as well); both admin routers know the admin.
 * `start` gives every component a service account (published in ZooKeeper, imported by the admin
 * routers), so the backends refuse callers without a token while the cluster's own calls carry one.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, uniqueId, waitFor } from "@caravel/testing";
import { readState } from "../../packages/launcher/src/state.js";
import { createNetLab, GATEWAY, type NetHost, type NetLab } from "../harness/netns.js";
import { killByPath, leaderOf } from "./cluster.js";

const home = mkdtempSync(join(tmpdir(), "caravel-multi-"));
let lab: NetLab | undefined;
const machines: { host: NetHost | undefined; home: string }[] = [];

/** Runs caravel-launch (inside `host`, or on the real host) and resolves with its output. */
function launch(host: NetHost | undefined, args: string[], machineHome: string): Promise<string> {
  const argv = [binPath("launcher"), ...args, "--home", machineHome];
  const child = host ? host.spawn(process.execPath, argv, { detached: false }) : spawn(process.execPath, argv);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d));
  child.stderr?.on("data", (d: Buffer) => (out += d));
  return new Promise((done, fail) => {
    child.on("exit", (code) => (code === 0 ? done(out) : fail(new Error(`caravel-launch ${args.join(" ")} exited ${code}:\n${out}`))));
  });
}

afterAll(async () => {
  for (const m of machines.reverse()) await launch(m.host, ["down", "--stop_timeout", "3"], m.home).catch(() => undefined);
  killByPath(home);
  lab?.destroy();
  rmSync(home, { recursive: true, force: true });
}, 180_000);

/** The first admin's token: with service accounts on, every backend wants one from beyond loopback. */
let adminToken = "";
const json = async <T>(url: string, init?: RequestInit): Promise<T> => {
  const res = await fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), authorization: `token=${adminToken}` }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

describe("a multi-machine cluster from caravel-launch start --role", () => {
  it("elects one master and one Marathon, runs an app on the agent machine, and resolves it there", { timeout: 420_000 }, async () => {
    for (const bin of ["launcher", "master", "agent", "marathon", "dns", "l4lb", "universe"] as const) binPath(bin);
    lab = await createNetLab();
    const zkHome = join(home, "zk");
    machines.push({ host: undefined, home: zkHome });
    await launch(undefined, ["up", "--ha", "--only", "zk", "--random_ports", "--ip", GATEWAY, "--detach"], zkHome);
    const zkPorts = readState(zkHome)!.components.map((c) => c.port);
    const zk = `zk://${zkPorts.map((p) => `${GATEWAY}:${p}`).join(",")}/mesos`;

    const masters = [lab.addHost("m1"), lab.addHost("m2")];
    const agent = lab.addHost("a1");
    const common = ["--zk", zk, "--zk_session_timeout", "4", "--detach", "--start_timeout", "240"];
    await Promise.all(
      masters.map((m) => {
        const machineHome = join(home, m.name);
        machines.push({ host: m, home: machineHome });
        return launch(m, ["start", "--role", "master", "--quorum", "1", "--ip", m.ip, ...common], machineHome);
      }),
    );
    // The admin routers share IAM through ZooKeeper: the first admin logs in at either one.
    const passwordFile = masters.map((m) => join(home, m.name, "local/admin-router/admin-password")).find((f) => existsSync(f));
    expect(passwordFile).toBeDefined();
    const password = readFileSync(passwordFile!, "utf8").trim();
    for (const m of masters) {
      const res = await fetch(`http://${m.ip}:8000/acs/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uid: "admin", password }),
      });
      expect(res.status, `login at ${m.name}'s admin router`).toBe(200);
      adminToken = ((await res.json()) as { token: string }).token;
    }

    const agentHome = join(home, agent.name);
    machines.push({ host: agent, home: agentHome });
    await launch(agent, ["start", "--role", "agent", "--ip", agent.ip, "--containerizers", "mesos", ...common], agentHome);

    const masterUrls = masters.map((m) => `http://${m.ip}:5050`);
    const leader = await waitFor(() => leaderOf(masterUrls), { timeoutMs: 60_000, message: "one leading master" });
    await waitFor(async () => (await json<{ slaves: unknown[] }>(`${leader}/master/slaves`)).slaves.length === 1, { timeoutMs: 60_000, message: "the agent machine registered" });

    // Every machine's components got an account, imported from ZooKeeper by the admin routers …
    const accounts = (await json<{ array: { uid: string }[] }>(`http://${masters[0]!.ip}:8000/acs/api/v1/users?type=service`)).array.map((u) => u.uid);
    for (const uid of [`caravel-agent-${agent.ip}`, `caravel-l4lb-${agent.ip}`, ...masters.map((m) => `caravel-marathon-${m.ip}`)]) expect(accounts, uid).toContain(uid);
    // … and the backends refuse a caller without a token (here: the agent machine), but take the admin's.
    const curl = (headers: string[]) => agent.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", ...headers, `${leader}/master/slaves`]).trim();
    expect(curl([])).toBe("401");
    expect(curl(["-H", `Authorization: token=${adminToken}`])).toBe("200");

    // Both Marathons name the same leader; the other one proxies.
    const marathons = masters.map((m) => `http://${m.ip}:8080`);
    const marathonLeader = await waitFor(async () => {
      const named = await Promise.all(marathons.map((u) => json<{ leader: string }>(`${u}/v2/leader`).then((l) => l.leader).catch(() => undefined)));
      return named[0] && named.every((l) => l === named[0]) ? named[0] : undefined;
    }, { timeoutMs: 90_000, message: "both Marathons agree on a leader" });
    const follower = marathons.find((u) => !u.endsWith(marathonLeader))!;
    expect(follower).toBeDefined();

    const appId = uniqueId("web").toLowerCase().replace(/[^a-z0-9-]/g, "-");
    await json(`${follower}/v2/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: `/${appId}`, cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 32 }),
    });
    await waitFor(async () => (await json<{ app: { tasksRunning: number } }>(`${follower}/v2/apps/${appId}`)).app.tasksRunning === 1, {
      timeoutMs: 120_000,
      message: `/${appId} running`,
    });

    // The agent machine's own DNS (which follows the leader through ZooKeeper) resolves the app,
    // on its port and on the dedicated address its agent gives to tasks.
    const dig = (server: string, port: string, name: string) => agent.run("dig", ["+short", "+time=2", "+tries=1", `@${server}`, "-p", port, name]).trim();
    await waitFor(() => dig(agent.ip, "8053", `${appId}.marathon.mesos`) === agent.ip, { timeoutMs: 60_000, message: `${appId}.marathon.mesos → ${agent.ip}` });
    expect(dig("198.51.100.1", "53", `${appId}.marathon.mesos`)).toBe(agent.ip);
    expect(dig("198.51.100.1", "53", "leader.mesos")).toBe(new URL(leader).hostname);
  });
});
