import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TaskInfo } from "@caravel/api";
import type { LaunchSpec } from "../types.js";
import { dockerCreatePlan, LABEL, SANDBOX_IN_CONTAINER } from "./docker-spec.js";

function spec(task: Record<string, unknown>, extra: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    containerId: "c1",
    agentId: "a1",
    frameworkId: "f1",
    task: TaskInfo.parse({ name: "t", task_id: { value: "t1" }, agent_id: { value: "a1" }, resources: [], ...task }),
    sandbox: "/work/sb",
    env: { MESOS_SANDBOX: "/work/sb", PORT0: "31001" },
    limits: { cpus: 0.5, memMb: 128, diskMb: 0, gpus: 0 },
    ports: [31001, 31002],
    volumes: [],
    ...extra,
  };
}
const docker = (d: Record<string, unknown> = {}) => ({ type: "DOCKER", docker: { image: "local/busybox:1", ...d } });

describe("dockerCreatePlan", () => {
  it("follows Mesos' shell/argv/default-command rules", () => {
    expect(dockerCreatePlan(spec({ command: { value: "echo hi" }, container: docker() })).options.Cmd).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(dockerCreatePlan(spec({ command: { shell: false, value: "httpd", arguments: ["-f"] }, container: docker() })).options.Cmd).toEqual(["httpd", "-f"]);
    expect(dockerCreatePlan(spec({ command: { shell: true }, container: docker() })).options.Cmd).toBeUndefined();
    expect(dockerCreatePlan(spec({ container: docker() })).options.Entrypoint).toBeUndefined();
  });

  it("sets limits, Init, labels, the sandbox mount and MESOS_SANDBOX inside", () => {
    const { options } = dockerCreatePlan(spec({ command: { value: "x" }, container: docker(), labels: { labels: [{ key: "team", value: "a" }] } }, { volumes: [{ hostPath: "/v", containerPath: "data", readOnly: true }, { hostPath: "/w", containerPath: "/abs", readOnly: false }] }));
    expect(options.HostConfig).toMatchObject({ Init: true, Memory: 128 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024, CpuShares: 512, NetworkMode: "host" });
    expect(options.HostConfig?.Binds).toEqual([`/work/sb:${SANDBOX_IN_CONTAINER}`, `/v:${SANDBOX_IN_CONTAINER}/data:ro`, "/w:/abs:rw"]);
    expect(options.Labels).toMatchObject({ team: "a", [LABEL.taskId]: "t1", [LABEL.frameworkId]: "f1", [LABEL.agentId]: "a1", [LABEL.containerId]: "c1" });
    expect(options.Env).toContain(`MESOS_SANDBOX=${SANDBOX_IN_CONTAINER}`);
    expect(options.Env).toContain("PORT0=31001");
    expect(options.WorkingDir).toBe(SANDBOX_IN_CONTAINER);
    expect(options.name).toBe("mesos-c1");
  });

  it("BRIDGE: sets ExposedPorts and PortBindings, taking unset host ports from the offer in order", () => {
    const { options } = dockerCreatePlan(
      spec({ container: docker({ network: "BRIDGE", port_mappings: [{ host_port: 0, container_port: 80 }, { host_port: 31555, container_port: 53, protocol: "udp,tcp" }] }) }),
      { hostIp: "10.0.0.5" },
    );
    expect(options.ExposedPorts).toEqual({ "80/tcp": {}, "53/udp": {}, "53/tcp": {} });
    expect(options.HostConfig?.PortBindings).toEqual({
      "80/tcp": [{ HostIp: "10.0.0.5", HostPort: "31001" }],
      "53/udp": [{ HostIp: "10.0.0.5", HostPort: "31555" }],
      "53/tcp": [{ HostIp: "10.0.0.5", HostPort: "31555" }],
    });
    expect(options.HostConfig?.NetworkMode).toBe("bridge");
  });

  it("joins another container's network namespace for task groups, without ports or DNS of its own", () => {
    const plan = dockerCreatePlan(spec({ container: docker({ network: "BRIDGE", port_mappings: [{ host_port: 1, container_port: 2 }] }) }, { networkOf: "c0", dnsServer: "10.0.0.53" }), { networkOfDockerId: "abc" });
    expect(plan.options.HostConfig?.NetworkMode).toBe("container:abc");
    expect(plan.options.ExposedPorts).toBeUndefined();
    expect(plan.options.HostConfig?.Dns).toBeUndefined();
    expect(() => dockerCreatePlan(spec({ container: docker() }, { networkOf: "c0" }))).toThrow(/not running/);
  });

  it("maps obvious parameters and reports the rest", () => {
    const plan = dockerCreatePlan(
      spec({ container: docker({ network: "BRIDGE", parameters: [{ key: "cap-add", value: "NET_ADMIN" }, { key: "label", value: "x=y=z" }, { key: "env", value: "A=1" }, { key: "log-opt", value: "max-size=1m" }] }) }, { dnsServer: "10.0.0.53" }),
    );
    expect(plan.options.HostConfig?.CapAdd).toEqual(["NET_ADMIN"]);
    expect(plan.options.HostConfig?.Dns).toEqual(["10.0.0.53"]);
    expect(plan.options.Labels?.["x"]).toBe("y=z");
    expect(plan.options.Env).toContain("A=1");
    expect(plan.ignoredParameters).toEqual(["log-opt=max-size=1m"]);
  });

  it("USER networks need a network name", () => {
    expect(() => dockerCreatePlan(spec({ container: docker({ network: "USER" }) }))).toThrow(/network_infos\[0\]\.name/);
    expect(dockerCreatePlan(spec({ container: { ...docker({ network: "USER" }), network_infos: [{ name: "dcos" }] } })).options.HostConfig?.NetworkMode).toBe("dcos");
  });

  it("always exposes every bound port (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ host_port: fc.integer({ min: 0, max: 65535 }), container_port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom("tcp", "udp", "tcp,udp") }), { maxLength: 6 }), (mappings) => {
        const { options } = dockerCreatePlan(spec({ container: docker({ network: "BRIDGE", port_mappings: mappings }) }));
        for (const key of Object.keys(options.HostConfig?.PortBindings ?? {})) expect(options.ExposedPorts?.[key]).toEqual({});
      }),
    );
  });
});
