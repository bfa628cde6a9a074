import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { LaunchError } from "../containerizers/types.js";
import { fetchUris, type FetchUri } from "./fetcher.js";
import { archiveKind, classifyUri, outputName } from "./uri.js";

const uri = (value: string, extra: Partial<FetchUri> = {}): FetchUri => ({ value, extract: true, ...extra });

describe("uri decisions", () => {
  it("classifies http, file and plain paths and refuses the rest", () => {
    expect(classifyUri("https://x.example/a.tgz")).toEqual({ kind: "http", url: "https://x.example/a.tgz" });
    expect(classifyUri("file:///tmp/a%20b")).toEqual({ kind: "file", path: "/tmp/a b" });
    expect(classifyUri("/opt/x")).toEqual({ kind: "file", path: "/opt/x" });
    expect(() => classifyUri("ftp://x/y")).toThrow(/unsupported URI scheme 'ftp'/);
    expect(() => classifyUri("rel/path")).toThrow(/relative paths/);
  });
  it("detects archives by extension", () => {
    expect(archiveKind("a.tar.gz")).toBe("tar.gz");
    expect(archiveKind("a.TGZ")).toBe("tar.gz");
    expect(archiveKind("a.tar.xz")).toBe("tar.xz");
    expect(archiveKind("a.tar.bz2")).toBe("tar.bz2");
    expect(archiveKind("a.zip")).toBe("zip");
    expect(archiveKind("a.txt")).toBeUndefined();
  });
  it("never lets output_file leave the sandbox", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("..", ".", "a", "b", ""), { minLength: 1, maxLength: 6 }), fc.boolean(), (parts, abs) => {
        const candidate = (abs ? "/" : "") + parts.join("/");
        try {
          const name = outputName("http://h/x", candidate);
          expect(name.startsWith("/")).toBe(false);
          expect(name === ".." || name.startsWith("../")).toBe(false);
        } catch (err) {
          expect(String(err)).toMatch(/relative path inside the sandbox|no file name/);
        }
      }),
    );
  });
});

describe("fetchUris", () => {
  let dir: string;
  let server: Server;
  let base: string;
  let hits = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "caravel-fetch-"));
    const src = join(dir, "src");
    mkdirSync(join(src, "tree", "sub"), { recursive: true });
    writeFileSync(join(src, "tree", "hello.txt"), "hello from tar\n");
    writeFileSync(join(src, "tree", "sub", "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    execFileSync("tar", ["-czf", join(src, "app.tar.gz"), "-C", join(src, "tree"), "."]);
    execFileSync("tar", ["-cJf", join(src, "app.tar.xz"), "-C", join(src, "tree"), "."]);
    execFileSync("tar", ["-cjf", join(src, "app.tar.bz2"), "-C", join(src, "tree"), "."]);
    execFileSync("zip", ["-qr", join(src, "app.zip"), "."], { cwd: join(src, "tree") });
    writeFileSync(join(src, "script.sh"), "#!/bin/sh\necho script\n");
    server = createServer((req, res) => {
      hits++;
      const name = (req.url ?? "/").split("?")[0]!.slice(1);
      const path = join(src, name);
      if (name === "" || !existsSync(path)) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sandbox = (name: string): string => {
    const path = join(dir, "sandboxes", name);
    mkdirSync(path, { recursive: true });
    return path;
  };

  it("downloads over http and extracts each tar flavour and zip", async () => {
    for (const name of ["app.tar.gz", "app.tar.xz", "app.tar.bz2", "app.zip"]) {
      const box = sandbox(`extract-${name}`);
      const [result] = await fetchUris([uri(`${base}/${name}`)], { sandbox: box });
      expect(result).toMatchObject({ path: name, extracted: true, fromCache: false });
      expect(readFileSync(join(box, "hello.txt"), "utf8")).toBe("hello from tar\n");
      expect(statSync(join(box, "sub", "run.sh")).mode & 0o111).not.toBe(0);
      expect(existsSync(join(box, name))).toBe(true);
    }
  });

  it("copies file:// and plain paths, honours executable and output_file, skips extract when asked", async () => {
    const box = sandbox("copy");
    await fetchUris(
      [
        uri(`file://${join(dir, "src", "script.sh")}`, { executable: true, output_file: "bin/tool" }),
        uri(join(dir, "src", "app.tar.gz"), { extract: false }),
      ],
      { sandbox: box },
    );
    expect(statSync(join(box, "bin", "tool")).mode & 0o777).toBe(0o755);
    expect(execFileSync(join(box, "bin", "tool")).toString()).toBe("script\n");
    expect(existsSync(join(box, "app.tar.gz"))).toBe(true);
    expect(existsSync(join(box, "hello.txt"))).toBe(false);
  });

  it("serves cached URIs from the cache on the second fetch", async () => {
    const cacheDir = join(dir, "cache");
    const before = hits;
    const first = await fetchUris([uri(`${base}/script.sh`, { cache: true })], { sandbox: sandbox("c1"), cacheDir });
    const second = await fetchUris([uri(`${base}/script.sh`, { cache: true })], { sandbox: sandbox("c2"), cacheDir });
    expect(first[0]!.fromCache).toBe(false);
    expect(second[0]!.fromCache).toBe(true);
    expect(hits - before).toBe(1);
    expect(readFileSync(join(dir, "sandboxes", "c2", "script.sh"), "utf8")).toBe("#!/bin/sh\necho script\n");
  });

  it("fails with REASON_CONTAINER_LAUNCH_FAILED naming the URI and the cause", async () => {
    const cases = [
      [`${base}/missing.tgz`, /HTTP 404/],
      ["/nonexistent/file.bin", /no such file/],
      ["http://127.0.0.1:9/x", /fetch failed/],
      ["ftp://h/x", /unsupported URI scheme/],
    ] as const;
    for (const [value, why] of cases) {
      const err = await fetchUris([uri(value)], { sandbox: sandbox("fail") }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LaunchError);
      expect((err as LaunchError).reason).toBe("REASON_CONTAINER_LAUNCH_FAILED");
      expect((err as LaunchError).message).toContain(value);
      expect((err as LaunchError).message).toMatch(why);
    }
  });

  it("rejects a corrupt archive with tar's message", async () => {
    const bad = join(dir, "src", "bad.tar.gz");
    writeFileSync(bad, "not gzip at all");
    const err = await fetchUris([uri(bad)], { sandbox: sandbox("corrupt") }).catch((e: unknown) => e);
    expect((err as LaunchError).message).toMatch(/tar exited/);
  });
});
