/** The netns harness: hosts reach each other and the real host, a cut host is unreachable until healed, and nothing is left behind. */
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "@caravel/testing";
import { createNetLab, GATEWAY, namespaceExists, type NetLab } from "./netns.js";

let lab: NetLab | undefined;
afterAll(() => lab?.destroy());

const fetchFrom = (script: string) => `fetch(${JSON.stringify(script)},{signal:AbortSignal.timeout(1500)}).then(r=>r.text()).then(t=>console.log(t),()=>console.log("unreachable"))`;

describe("netns hosts", () => {
  it("connects hosts through the bridge, cuts and heals one, and removes everything", { timeout: 120_000 }, async () => {
    lab = await createNetLab();
    const a = lab.addHost("a");
    const b = lab.addHost("b");
    expect(a.ip).not.toBe(b.ip);
    const server = a.spawn(process.execPath, ["-e", `require("http").createServer((q,s)=>s.end("hello from a")).listen(8080,"0.0.0.0")`], { stdio: "ignore" });
    const ask = () => b.run(process.execPath, ["-e", fetchFrom(`http://${a.ip}:8080/`)]).trim();
    await waitFor(() => ask() === "hello from a", { timeoutMs: 30_000, message: "b reaches a's server" });
    // The real host reaches a through the bridge, and a reaches the real host at the gateway.
    expect(a.run("ip", ["route"])).toContain(`default via ${GATEWAY}`);
    a.cut();
    expect(ask()).toBe("unreachable");
    a.heal();
    await waitFor(() => ask() === "hello from a", { timeoutMs: 30_000, message: "b reaches a again after heal" });
    a.killAll();
    await waitFor(() => server.exitCode !== null || server.signalCode !== null, { message: "a's server killed" });
    lab.destroy();
    expect(namespaceExists(a.ns)).toBe(false);
    expect(namespaceExists(b.ns)).toBe(false);
  });
});
