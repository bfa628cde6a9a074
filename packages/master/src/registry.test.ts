import { describe, expect, it } from "vitest";
import { Registry, memoryRegistryStore, type RegisteredAgent, type RegistryStore } from "./registry.js";

/** A store that counts writes, to see which ones the registry skips. */
function countingStore(): RegistryStore & { writes: string[] } {
  const inner = memoryRegistryStore();
  const writes: string[] = [];
  return { ...inner, writes, putJson: (path, value) => (writes.push(path), inner.putJson(path, value)) };
}

const agent = (id: string, extra: Partial<RegisteredAgent> = {}): RegisteredAgent => ({
  id,
  info: { hostname: `${id}.example`, port: 5051, resources: [], attributes: [] },
  state: "ADMITTED",
  ...extra,
});

describe("Registry", () => {
  it("does not write again a record it already holds (re-registration after a failover)", async () => {
    const store = countingStore();
    await new Registry(store).putAgent(agent("a1"));
    const recovered = new Registry(store);
    await recovered.load();
    store.writes.length = 0;
    await recovered.putAgent(agent("a1"));
    expect(store.writes).toEqual([]);
    await recovered.putAgent(agent("a1", { state: "UNREACHABLE", since: 5 }));
    expect(store.writes).toEqual(["/registry/agents/a1"]);
    expect(recovered.agent("a1")?.state).toBe("UNREACHABLE");
    await recovered.putAgent(agent("a1", { state: "UNREACHABLE", since: 5 }));
    expect(store.writes).toHaveLength(1);
  });

  it("writes again after a failed write", async () => {
    const inner = memoryRegistryStore();
    let fail = true;
    const store: RegistryStore = { ...inner, putJson: (path, value) => (fail ? Promise.reject(new Error("down")) : inner.putJson(path, value)) };
    const registry = new Registry(store);
    await expect(registry.putAgent(agent("a2"))).rejects.toThrow("down");
    fail = false;
    await registry.putAgent(agent("a2"));
    expect(await inner.getJson("/registry/agents/a2")).toMatchObject({ id: "a2" });
  });
});
