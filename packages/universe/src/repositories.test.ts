import { afterAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore } from "@caravel/coordination";
import { silentLogger } from "@caravel/runtime";
import { waitFor } from "@caravel/testing";
import { Repositories } from "./repositories.js";

const entry = (name: string, releaseVersion = 0) => ({ packagingVersion: "3.0", name, version: `1.${releaseVersion}`, releaseVersion, maintainer: "m", description: "d", tags: [] });

/** A repository server whose answer the test changes: a status, or an index of packages. */
function repoServer() {
  let answer: { status: number; packages?: unknown[] } = { status: 503 };
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    if (answer.status !== 200) res.writeHead(answer.status).end();
    else res.writeHead(200, { "content-type": "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v4" }).end(JSON.stringify({ packages: answer.packages }));
  }).listen(0, "127.0.0.1");
  return {
    server,
    set: (a: typeof answer) => (answer = a),
    hits: () => hits,
    url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}/repo`,
  };
}

const servers: ReturnType<typeof repoServer>[] = [];
afterAll(() => servers.forEach((s) => s.server.close()));

describe("Repositories: refresh and retry", () => {
  it("a repository down at the first load comes back by itself; requests are served meanwhile", async () => {
    const remote = repoServer();
    servers.push(remote);
    await new Promise((r) => remote.server.once("listening", r));
    const store = await createStore(join(mkdtempSync(join(tmpdir(), "universe-refresh-")), "store"));
    const repos = new Repositories(store, [{ name: "remote", uri: remote.url() }], silentLogger(), { refreshMs: 3_600_000, retryMs: 50 });
    const first = await repos.catalog();
    expect(first.search("")).toEqual([]);
    expect(repos.errorsOf("remote")[0]).toMatch(/HTTP 503/);

    remote.set({ status: 200, packages: [entry("back")] });
    const healed = await waitFor(async () => {
      const c = await repos.catalog();
      return c.search("").length ? c : undefined;
    }, { timeoutMs: 20_000, message: "the broken repository to be retried" });
    expect(healed.search("").map((r) => r.name)).toEqual(["back"]);
    expect(repos.errorsOf("remote")).toEqual([]);

    // A healthy repository is not re-read before refreshMs: the server sees no more requests.
    const hits = remote.hits();
    for (let i = 0; i < 5; i++) await repos.catalog();
    expect(remote.hits()).toBe(hits);
    await store.close?.();
  });

  it("a healthy remote index is re-read after refreshMs and new releases appear; a change of the list is seen at once", async () => {
    const remote = repoServer();
    servers.push(remote);
    await new Promise((r) => remote.server.once("listening", r));
    remote.set({ status: 200, packages: [entry("one")] });
    const store = await createStore(join(mkdtempSync(join(tmpdir(), "universe-refresh-")), "store"));
    const repos = new Repositories(store, [{ name: "remote", uri: remote.url() }], silentLogger(), { refreshMs: 50, retryMs: 50 });
    expect((await repos.catalog()).versions("one")).toEqual({ "1.0": "0" });
    remote.set({ status: 200, packages: [entry("one"), entry("one", 1)] });
    await waitFor(async () => Object.keys((await repos.catalog()).versions("one")).length === 2, { timeoutMs: 20_000, message: "the new release to appear" });
    // The server goes away: the last good copy is still served, with the error reported.
    remote.set({ status: 500 });
    await waitFor(async () => (await repos.catalog(), repos.errorsOf("remote").length > 0), { timeoutMs: 20_000, message: "the failed re-read to be reported" });
    expect(repos.errorsOf("remote")[0]).toMatch(/HTTP 500.*\(serving the copy loaded at \d{4}-/);
    expect(Object.keys((await repos.catalog()).versions("one"))).toEqual(["1.0", "1.1"]);
    await repos.delete("remote");
    expect((await repos.catalog()).search("")).toEqual([]);
    await store.close?.();
  });
});
