import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COMPONENTS } from "./components.js";
import { levels, planCluster, type PlanInput } from "./plan.js";
import { accountUid, ensureAccount, routerZk, withServiceAccounts, type ComponentAccount } from "./service-accounts.js";

const dir = mkdtempSync(join(tmpdir(), "launcher-sa-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ZK = "zk://10.0.0.9:2181,10.0.0.10:2181/mesos";
const base: PlanInput = {
  components: COMPONENTS,
  shape: { agents: 0, publicAgents: 0 },
  home: "/h",
  root: "/repo",
  host: "10.0.0.1",
  zk: ZK,
  containerizers: "mesos",
  machine: { cpus: 2, memMb: 4096, diskMb: 10_240 },
  available: () => true,
};
const account = (component: string, ip = "10.0.0.1"): ComponentAccount => ({ component, uid: accountUid(component, ip), keyFile: `/h/local/service-accounts/${component}.pem`, publicKey: "PEM" });

describe("service accounts of a machine (pure)", () => {
  it("names accounts by component and machine, and puts the routers' Store beside the election", () => {
    expect(accountUid("agent", "10.0.0.5")).toBe("caravel-agent-10.0.0.5");
    expect(routerZk(ZK)).toBe("zk://10.0.0.9:2181,10.0.0.10:2181/caravel");
  });

  it("master machine: each component gets its account and this machine's router as IAM; services that log in start after the router", () => {
    const names = ["master", "marathon", "dns", "l4lb", "universe"];
    const components = withServiceAccounts(COMPONENTS, new Map(names.map((n) => [n, account(n)])), undefined);
    const plan = planCluster({ ...base, components, only: new Set([...names, "admin-router"]) });
    for (const name of names) {
      const args = plan.instances.find((i) => i.name === name)!.args.join(" ");
      expect(args, name).toContain(`--iam_url http://10.0.0.1:8000 --service_account_uid caravel-${name}-10.0.0.1 --service_account_key /h/local/service-accounts/${name}.pem`);
    }
    const router = plan.instances.find((i) => i.name === "admin-router")!;
    expect(router.args).not.toContain("--iam_url");
    const order = levels(plan.instances).map((level) => level.map((i) => i.name));
    expect(order[0]).toEqual(["master"]);
    expect(order[1]).toEqual(["admin-router"]);
    expect(order.slice(2).flat().sort()).toEqual(["dns", "l4lb", "marathon", "universe"]);
  });

  it("agent machine: the leading master's router is IAM; dropped dependencies do not hold anything back", () => {
    const names = ["agent", "dns", "l4lb"];
    const components = withServiceAccounts(COMPONENTS, new Map(names.map((n) => [n, account(n, "10.0.0.7")])), "http://10.0.0.2:8000");
    const plan = planCluster({ ...base, host: "10.0.0.7", shape: { agents: 1, publicAgents: 0 }, components, only: new Set(names) });
    const agent = plan.instances.find((i) => i.name === "agent-1")!;
    expect(agent.args.join(" ")).toContain("--iam_url http://10.0.0.2:8000 --service_account_uid caravel-agent-10.0.0.7");
    expect(levels(plan.instances)[0]!.map((i) => i.name).sort()).toEqual(["agent-1", "dns", "l4lb"]);
  });

  it("components without an account are left as they are", () => {
    const components = withServiceAccounts(COMPONENTS, new Map(), "http://x:8000");
    expect(components).toEqual(COMPONENTS);
  });
});

describe("ensureAccount", () => {
  it("generates an RSA key pair once (private key 0600) and keeps it across restarts", async () => {
    const first = await ensureAccount(dir, "marathon", "10.0.0.1");
    expect(first.uid).toBe("caravel-marathon-10.0.0.1");
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    const key = createPrivateKey(readFileSync(first.keyFile, "utf8"));
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(createPublicKey(key).export({ type: "spki", format: "pem" })).toBe(first.publicKey);
    const again = await ensureAccount(dir, "marathon", "10.0.0.1");
    expect(again.publicKey).toBe(first.publicKey);
  });
});
