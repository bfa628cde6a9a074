import { describe, expect, it } from "vitest";
import { loadConfig, ConfigError } from "@caravel/runtime";
import { AgentConfig, containerizerNames, masterUrls } from "./config.js";
import { backoffDelay, fastEvent } from "./core/master-link.js";

describe("agent flags", () => {
  it("parses --master forms", () => {
    expect(masterUrls("10.0.0.1:5050")).toEqual(["http://10.0.0.1:5050"]);
    expect(masterUrls("a:1, b:2")).toEqual(["http://a:1", "http://b:2"]);
    expect(masterUrls("http://m:5050/")).toEqual(["http://m:5050"]);
    expect(() => masterUrls("nohost")).toThrow(/not host:port/);
    expect(() => masterUrls("")).toThrow(/empty/);
  });

  it("always adds the process containerizer unless only sim is asked for", () => {
    expect(containerizerNames("docker")).toEqual(["docker", "mesos"]);
    expect(containerizerNames("docker,mesos")).toEqual(["docker", "mesos"]);
    expect(containerizerNames("sim")).toEqual(["sim"]);
    expect(() => containerizerNames("rkt")).toThrow(/unknown containerizer "rkt"/);
  });

  it("takes Mesos flag names and rejects bad values naming the flag", () => {
    const c = loadConfig(AgentConfig, { argv: ["--master=1.2.3.4:5050", "--port", "5052", "--default_role", "slave_public", "--simulate", "3"], env: {} });
    expect(c).toMatchObject({ master: "1.2.3.4:5050", port: 5052, default_role: "slave_public", simulate: 3 });
    expect(() => loadConfig(AgentConfig, { argv: ["--port", "-1"], env: {} })).toThrow(ConfigError);
    expect(() => loadConfig(AgentConfig, { argv: ["--port", "-1"], env: {} })).toThrow(/--port/);
  });

  it("takes the Docker image GC budget (MiB, 0 = off) and keep-list", () => {
    expect(loadConfig(AgentConfig, { argv: [], env: {} })).toMatchObject({ docker_image_gc_budget: 0, docker_image_gc_keep: "local/*" });
    const c = loadConfig(AgentConfig, { argv: ["--docker_image_gc_budget", "2048", "--docker_image_gc_keep", "local/*,nginx"], env: {} });
    expect(c).toMatchObject({ docker_image_gc_budget: 2048, docker_image_gc_keep: "local/*,nginx" });
    expect(() => loadConfig(AgentConfig, { argv: ["--docker_image_gc_budget", "-5"], env: {} })).toThrow(/--docker_image_gc_budget/);
  });
});

describe("master link helpers", () => {
  it("backs off randomly up to factor·2^attempt, capped", () => {
    expect(backoffDelay(0, 250, 60_000, () => 0.999)).toBe(249);
    expect(backoffDelay(3, 250, 60_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(30, 250, 60_000, () => 0.999)).toBe(59_940);
  });

  it("checks PING and ACKNOWLEDGE by hand and leaves the rest to the schema", () => {
    expect(fastEvent({ type: "PING" })).toEqual({ type: "PING" });
    const ack = { type: "ACKNOWLEDGE", acknowledge: { framework_id: { value: "f" }, task_id: { value: "t" }, uuid: "u" } };
    expect(fastEvent(ack)).toEqual(ack);
    expect(fastEvent({ type: "ACKNOWLEDGE", acknowledge: { framework_id: { value: "" }, task_id: { value: "t" }, uuid: "u" } })).toBeUndefined();
    expect(fastEvent({ type: "RUN_TASK" })).toBeUndefined();
    expect(fastEvent(null)).toBeUndefined();
  });
});
