import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { isCaravelError } from "@caravel/api";
import { confinedPath, lexicalPath } from "./confine.js";

async function fixture() {
  const work = await mkdtemp(join(tmpdir(), "files-"));
  const slaves = join(work, "slaves");
  const run = join(slaves, "A1", "frameworks", "F", "executors", "E", "runs", "C1");
  await mkdir(run, { recursive: true });
  await writeFile(join(run, "stdout"), "hello\n");
  await symlink("C1", join(slaves, "A1", "frameworks", "F", "executors", "E", "runs", "latest"));
  await writeFile(join(work, "secret"), "top secret");
  await symlink(join(work, "secret"), join(run, "escape"));
  await symlink("/etc", join(run, "etc"));
  return { work, slaves, run, roots: { slavesRoot: slaves, agentId: "A1", logFile: join(work, "agent.log") } };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return "ok";
  } catch (error) {
    return isCaravelError(error) ? error.code : String(error);
  }
};

describe("files path confinement", () => {
  it("resolves real sandbox paths and the virtual latest path", async () => {
    const f = await fixture();
    expect(await confinedPath(join(f.run, "stdout"), f.roots)).toMatch(/C1\/stdout$/);
    expect(await confinedPath("/frameworks/F/executors/E/runs/latest/stdout", f.roots)).toMatch(/C1\/stdout$/);
    expect(await confinedPath("/slave/log", f.roots)).toBe(f.roots.logFile);
  });

  it("rejects .., absolute paths outside and symlink escapes with 4xx", async () => {
    const f = await fixture();
    expect(await code(confinedPath(`${f.run}/../../../../../../../secret`, f.roots))).toBe("INVALID_REQUEST");
    expect(await code(confinedPath("/frameworks/F/../../../secret", f.roots))).toBe("INVALID_REQUEST");
    expect(await code(confinedPath("/etc/passwd", f.roots))).toBe("FORBIDDEN");
    expect(await code(confinedPath(join(f.work, "secret"), f.roots))).toBe("FORBIDDEN");
    expect(await code(confinedPath(join(f.run, "escape"), f.roots))).toBe("FORBIDDEN");
    expect(await code(confinedPath(join(f.run, "etc", "passwd"), f.roots))).toBe("FORBIDDEN");
    expect(await code(confinedPath("relative/path", f.roots))).toBe("INVALID_REQUEST");
    expect(await code(confinedPath(undefined, f.roots))).toBe("MISSING_FIELD");
    expect(await code(confinedPath(join(f.run, "nope"), f.roots))).toBe("NOT_FOUND");
  });

  it("never accepts a lexical path outside the root (property)", () => {
    const roots = { slavesRoot: "/w/slaves", agentId: "A" };
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "..", ".", "", "slaves", "w", "/", "frameworks"), { maxLength: 8 }), (parts) => {
        const p = "/" + parts.join("/");
        try {
          const out = lexicalPath(p, roots);
          return out === "/w/slaves" || out.startsWith("/w/slaves/");
        } catch (error) {
          return isCaravelError(error);
        }
      }),
    );
  });
});
