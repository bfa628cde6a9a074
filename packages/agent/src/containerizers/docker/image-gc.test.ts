import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isKept, normalizeRef, parseKeepList, selectImagesForRemoval, type ImageFacts, type ImageGcInput } from "./image-gc.js";

const MB = 1024 * 1024;
const img = (id: string, tags: string[], sizeMb: number, createdAt = 0): ImageFacts => ({ id, tags, digests: [], sizeBytes: sizeMb * MB, createdAt });

function input(images: ImageFacts[], extra: Partial<ImageGcInput> = {}): ImageGcInput {
  return {
    images,
    totalBytes: images.reduce((n, i) => n + i.sizeBytes, 0),
    usedByContainers: new Set(),
    launching: [],
    lastUsed: new Map(),
    ...extra,
  };
}

describe("image names", () => {
  it("normalizes references as the engine names them", () => {
    expect(normalizeRef("busybox")).toBe("busybox:latest");
    expect(normalizeRef("docker.io/library/nginx:1.25")).toBe("nginx:1.25");
    expect(normalizeRef("localhost:5000/app")).toBe("localhost:5000/app:latest");
    expect(normalizeRef("local/busybox:1")).toBe("local/busybox:1");
    expect(normalizeRef("SHA256:ABC")).toBe("sha256:abc");
  });

  it("keeps by glob, and a pattern without a tag keeps every tag", () => {
    expect(isKept(["local/busybox:1"], ["local/*"])).toBe(true);
    expect(isKept(["nginx:1.25"], ["nginx"])).toBe(true);
    expect(isKept(["nginx:1.25"], ["docker.io/library/nginx"])).toBe(true);
    expect(isKept(["nginx-extra:1"], ["nginx"])).toBe(false);
    expect(isKept(["app:2"], ["app:1"])).toBe(false);
    expect(parseKeepList(" local/*, ,nginx ")).toEqual(["local/*", "nginx"]);
  });
});

describe("selectImagesForRemoval", () => {
  it("does nothing when off or within budget", () => {
    const images = [img("a", ["a:1"], 100)];
    expect(selectImagesForRemoval(input(images), { budgetBytes: 0, keep: [] })).toEqual([]);
    expect(selectImagesForRemoval(input(images), { budgetBytes: 100 * MB, keep: [] })).toEqual([]);
  });

  it("removes the least recently used unprotected images until the total fits", () => {
    const images = [img("old", ["old:1"], 40, 1), img("new", ["new:1"], 40, 5), img("mid", ["mid:1"], 40, 3), img("used", ["used:1"], 40, 0), img("base", ["local/busybox:1"], 40, 0), img("next", ["next:1"], 40, 0)];
    const chosen = selectImagesForRemoval(
      input(images, { usedByContainers: new Set(["used"]), launching: ["docker.io/library/next:1"], lastUsed: new Map([["old", 10]]) }),
      { budgetBytes: 160 * MB, keep: ["local/*"] },
    );
    expect(selectImagesForRemoval(input([img("p", ["p:1"], 40), { ...img("c", ["c:1"], 40), parentId: "p" }]), { budgetBytes: 1, keep: [] }).map((i) => i.id)).toEqual(["c"]);
    // 240 MB → 160 MB: two of 40 MB go, LRU first: mid (3) before new (5) before old (used at 10).
    expect(chosen.map((i) => i.id)).toEqual(["mid", "new"]);
  });

  it("property: never protected images, LRU order, and no more than needed", () => {
    const arbImage = fc.record({ id: fc.uuid(), sizeMb: fc.integer({ min: 1, max: 500 }), createdAt: fc.integer({ min: 0, max: 1000 }), used: fc.boolean(), kept: fc.boolean(), launching: fc.boolean() });
    fc.assert(
      fc.property(fc.array(arbImage, { maxLength: 30 }), fc.integer({ min: 1, max: 5000 }), (raw, budgetMb) => {
        const images = raw.map((r) => img(r.id, [r.kept ? `local/${r.id}:1` : `x/${r.id}:1`], r.sizeMb, r.createdAt));
        const facts = input(images, {
          usedByContainers: new Set(raw.filter((r) => r.used).map((r) => r.id)),
          launching: raw.filter((r) => r.launching).map((r) => `x/${r.id}:1`),
        });
        const chosen = selectImagesForRemoval(facts, { budgetBytes: budgetMb * MB, keep: ["local/*"] });
        const byId = new Map(raw.map((r) => [r.id, r]));
        for (const c of chosen) {
          const r = byId.get(c.id)!;
          expect(r.used || r.kept || r.launching).toBe(false);
        }
        for (let i = 1; i < chosen.length; i++) expect(chosen[i - 1]!.createdAt).toBeLessThanOrEqual(chosen[i]!.createdAt);
        const freed = chosen.reduce((n, c) => n + c.sizeBytes, 0);
        const last = chosen.at(-1);
        // Without the last one chosen, the total would still be over budget.
        if (last) expect(facts.totalBytes - (freed - last.sizeBytes)).toBeGreaterThan(budgetMb * MB);
        const eligible = raw.filter((r) => !r.used && !r.kept && !r.launching).length;
        if (facts.totalBytes - freed > budgetMb * MB) expect(chosen.length).toBe(eligible);
      }),
    );
  });
});
