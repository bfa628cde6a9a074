/**
 * Tasks resolve cluster names themselves: caravel-dns answers on port 53 of a dedicated address
 * (198.51.100.3 here; 198.51.100.1 is the production choice, like dcos-net's spartan), and a Docker
 * bridge container given that address (`--dns`, what an agent sets as `Dns`) resolves cluster names
 * (forwarding of other names is covered in packages/dns). Needs root and Docker with local/busybox:1.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterViewFromMasterState } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { requireDocker, requireImage, requireRoot } from "../harness/index.js";
import { DnsConfig, createServer, type DnsServer } from "../../packages/dns/src/index.js";
import { legacyState } from "../../packages/dns/src/records/fixture.js";

const ADDRESS = "198.51.100.3";

const nslookup = (name: string): Promise<string> =>
  new Promise((resolve) =>
    execFile("docker", ["run", "--rm", "--dns", ADDRESS, "local/busybox:1", "nslookup", name], { timeout: 60_000 }, (_e, out, err) => resolve(`${out}${err}`)),
  );

describe("containers resolve through the dedicated address", () => {
  let dns: DnsServer;
  beforeAll(async () => {
    requireRoot();
    requireDocker();
    requireImage();
    dns = createServer({ config: DnsConfig.parse({ port: 0, http_port: 0, dummy_ip: ADDRESS }), log: silentLogger(), noMaster: true });
    await dns.listen();
    dns.update(clusterViewFromMasterState(legacyState()));
  }, 60_000);
  afterAll(() => dns?.close());

  it("answers task names to a bridge container", async () => {
    const out = await nslookup("redis.marathon.mesos");
    expect(out).toContain("172.17.0.2");
  }, 90_000);

  it("answers the leader too (what a task needs to find the master)", async () => {
    const out = await nslookup("leader.mesos");
    expect(out).toContain("10.0.0.1");
  }, 90_000);
});
