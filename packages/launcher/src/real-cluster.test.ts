/**
 * caravel-launch with the real master and agents (built binaries): the agents register with
 * disjoint shares, the public agent's share is reserved to slave_public, a killed agent comes back,
 * and `down` leaves nothing running.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, waitFor } from "@caravel/testing";
import { isAlive, readState } from "./state.js";

const home = mkdtempSync(join(tmpdir(), "caravel-launch-real-"));

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [binPath("launcher"), ...args, "--home", home], { timeout: 240_000 }, (error, out, err) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

interface Slave {
  id: string;
  pid: string;
  resources: Record<string, unknown>;
  reserved_resources?: Record<string, Record<string, unknown>>;
}

afterAll(async () => {
  await run(["down"]);
  rmSync(home, { recursive: true, force: true });
}, 240_000);

describe("caravel-launch with the real master and agents", () => {
  it("starts, splits the machine, restarts a killed agent, and stops", { timeout: 240_000 }, async () => {
    // Built binaries are required; binPath fails with the build command when one is missing.
    binPath("master");
    binPath("agent");
    const up = await run(["up", "--detach", "--random_ports", "--agents", "2", "--public_agents", "1", "--containerizers", "sim", "--only", "master,agent,public-agent"]);
    expect(up.err).toBe("");
    expect(up.code).toBe(0);
    const state = readState(home)!;
    const master = state.components.find((c) => c.name === "master")!;

    const slaves = await waitFor(
      async () => {
        const body = (await (await fetch(`${master.url}/master/slaves`)).json()) as { slaves: Slave[] };
        return body.slaves.length === 3 ? body.slaves : undefined;
      },
      { timeoutMs: 60_000, message: "3 agents registered with the master" },
    );
    const ports = slaves.map((s) => String(s.resources["ports"] ?? s.reserved_resources?.["slave_public"]?.["ports"])).sort();
    expect(ports).toEqual(["[31000-31332]", "[31333-31665]", "[31666-32000]"]);
    const publicAgent = state.components.find((c) => c.name === "public-agent-1")!;
    const pub = slaves.find((s) => s.pid.endsWith(`:${publicAgent.port}`))!;
    expect(pub.reserved_resources?.["slave_public"]).toMatchObject({ ports: "[31666-32000]" });

    const agent = state.components.find((c) => c.name === "agent-1")!;
    process.kill(agent.pid!, "SIGKILL");
    await waitFor(
      () => {
        const c = readState(home)!.components.find((x) => x.name === "agent-1")!;
        return c.status === "healthy" && c.pid !== agent.pid ? c : undefined;
      },
      { timeoutMs: 60_000, message: "agent-1 restarted and healthy" },
    );

    const status = await run(["status"]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/agent-1\s+\d+\s+\d+\s+healthy\s+1/);

    const pids = [readState(home)!.pid, ...readState(home)!.components.map((c) => c.pid!)];
    expect((await run(["down"])).code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
