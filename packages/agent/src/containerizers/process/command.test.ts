import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { limitFiles } from "./cgroups.js";
import { decodeWaitStatus, execTarget, taskEnvironment } from "./command.js";
import { parseProcStat } from "./proc.js";
import { parsePasswd } from "./user.js";

describe("process containerizer decisions", () => {
  it("shell and argv commands follow Mesos' CommandInfo rules", () => {
    expect(execTarget({ uris: [], shell: true, value: "echo $HOME", arguments: ["ignored"] })).toEqual({ file: "/bin/sh", argv: ["/bin/sh", "-c", "echo $HOME"] });
    expect(execTarget({ uris: [], shell: false, value: "/bin/echo", arguments: ["echo", "x"] })).toEqual({ file: "/bin/echo", argv: ["echo", "x"] });
    expect(execTarget({ uris: [], shell: false, value: "/bin/true", arguments: [] })).toEqual({ file: "/bin/true", argv: ["/bin/true"] });
    expect(() => execTarget(undefined)).toThrow(/command.value is empty/);
  });

  it("decodes every wait status into exactly one of code or signal", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 31 }), (code, signo) => {
        expect(decodeWaitStatus(code << 8)).toEqual({ exitCode: code });
        const signalled = decodeWaitStatus(signo);
        expect(signalled.exitCode).toBeNull();
        expect(signalled.signal).toMatch(/^SIG[A-Z0-9]+$/);
      }),
    );
    expect(decodeWaitStatus(9).signal).toBe("SIGKILL");
    expect(decodeWaitStatus(15).signal).toBe("SIGTERM");
  });

  it("the agent's env wins over inherited variables, and nothing else of the agent leaks", () => {
    const env = taskEnvironment({ PATH: "/task/bin", PORT0: "1" }, { PATH: "/usr/bin", CARAVEL_SECRET: "x", HOME: "/root" });
    expect(env).toEqual({ PATH: "/task/bin", PORT0: "1", HOME: "/root" });
  });

  it("cgroup limits: memory gets the allowance, cpu a quota and shares, nothing for zero", () => {
    expect(limitFiles({ cpus: 0.5, memMb: 64, pidsMax: 100, memAllowanceMb: 32 })).toEqual([
      ["memory", "memory.limit_in_bytes", String(96 * 1024 * 1024)],
      ["cpu", "cpu.shares", "512"],
      ["cpu", "cpu.cfs_period_us", "100000"],
      ["cpu", "cpu.cfs_quota_us", "50000"],
      ["pids", "pids.max", "100"],
    ]);
    expect(limitFiles({ cpus: 0, memMb: 0, pidsMax: 0, memAllowanceMb: 32 })).toEqual([]);
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 64, noNaN: true }), (cpus) => {
        const quota = limitFiles({ cpus, memMb: 0, pidsMax: 0, memAllowanceMb: 0 }).find(([, f]) => f === "cpu.cfs_quota_us");
        expect(Number(quota?.[2])).toBeGreaterThanOrEqual(1000);
      }),
    );
  });

  it("parses /proc/<pid>/stat even with spaces and parentheses in the command name", () => {
    const line = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 123456 1000 10 18446744073709551615";
    expect(parseProcStat(line)).toEqual({ state: "S", utime: 7, stime: 3, startTime: 123456 });
  });

  it("parses passwd lines", () => {
    expect(parsePasswd("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin")).toEqual({ name: "nobody", uid: 65534, gid: 65534, home: "/nonexistent" });
    expect(parsePasswd("")).toBeUndefined();
  });
});
