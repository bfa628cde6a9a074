/**
 * Docker image collection against the engine: gathers the facts (`docker system df`: images, their
 * unique sizes and the layers' total; `docker ps -a`: images containers use), asks
 * `selectImagesForRemoval` (image-gc.ts) what to remove, and removes it without force, so that the
 * engine itself refuses an image a container started using meanwhile.
 *
 * Docker keeps no "last used" time, so the collector keeps one per image id in a small JSON file:
 * the docker containerizer tells it when a launch used an image, and images in use by a container
 * count as used at every round. Images never seen in use fall back to their creation time.
 */
import { readFile } from "node:fs/promises";
import type Docker from "dockerode";
import { silentLogger, type Logger } from "@caravel/runtime";
import { writeFileAtomic } from "../../core/checkpoint.js";
import { normalizeRef, selectImagesForRemoval, type ImageFacts, type ImageGcInput, type ImageGcPolicy } from "./image-gc.js";
import { engineMessage } from "./image.js";

export interface ImageCollectorOptions {
  docker: Docker;
  policy: ImageGcPolicy;
  /** Image references tasks are launching from right now (asked again right before each removal). */
  launching: () => Iterable<string>;
  /** Image reference → last launch (ms) as the containerizer saw it. */
  launched?: () => ReadonlyMap<string, number>;
  /** Where last-use times survive agent restarts. */
  statePath?: string;
  log?: Logger;
  now?: () => number;
}

interface DfImage {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
}

const realNames = (names: string[] | null | undefined): string[] => (names ?? []).filter((n) => !n.startsWith("<none>"));

export class ImageCollector {
  private lastUsed = new Map<string, number>();
  private loaded = false;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: ImageCollectorOptions) {
    this.log = options.log ?? silentLogger();
    this.now = options.now ?? Date.now;
  }

  /** What the engine holds now, with last-use times brought up to date. */
  async facts(): Promise<ImageGcInput> {
    await this.load();
    const docker = this.options.docker;
    const [df, containers] = await Promise.all([docker.df() as Promise<{ LayersSize?: number; Images?: DfImage[] }>, docker.listContainers({ all: true })]);
    const images: ImageFacts[] = (df.Images ?? []).map((i) => {
      const shared = i.SharedSize !== undefined && i.SharedSize >= 0 ? i.SharedSize : 0;
      const facts: ImageFacts = { id: i.Id, tags: realNames(i.RepoTags), digests: realNames(i.RepoDigests), sizeBytes: Math.max(0, i.Size - shared), createdAt: i.Created * 1000 };
      if (i.ParentId) facts.parentId = i.ParentId;
      return facts;
    });
    const usedByContainers = new Set(containers.map((c) => c.ImageID));
    const now = this.now();
    for (const id of usedByContainers) this.lastUsed.set(id, now);
    for (const [ref, at] of this.options.launched?.() ?? []) {
      const n = normalizeRef(ref);
      const image = images.find((i) => normalizeRef(i.id) === n || i.tags.some((t) => normalizeRef(t) === n) || i.digests.includes(ref));
      if (image && at > (this.lastUsed.get(image.id) ?? 0)) this.lastUsed.set(image.id, at);
    }
    const live = new Set(images.map((i) => i.id));
    for (const id of this.lastUsed.keys()) if (!live.has(id)) this.lastUsed.delete(id);
    return { images, totalBytes: df.LayersSize ?? images.reduce((n, i) => n + i.sizeBytes, 0), usedByContainers, launching: this.options.launching(), lastUsed: this.lastUsed };
  }

  /** One round: removes what the policy picks; returns the removed image ids. */
  async collect(): Promise<string[]> {
    if (this.options.policy.budgetBytes <= 0) return [];
    const input = await this.facts();
    const chosen = selectImagesForRemoval(input, this.options.policy);
    const removed: string[] = [];
    for (const image of chosen) {
      // A task may have started from it since the facts were read: ask again right before removing.
      const launching = new Set([...this.options.launching()].map(normalizeRef));
      if (launching.has(normalizeRef(image.id)) || image.tags.some((t) => launching.has(normalizeRef(t)))) continue;
      try {
        // Without force: the engine refuses images a container uses. Each tag goes on its own; the
        // last one takes the image with it.
        for (const name of image.tags.length ? image.tags : [image.id]) await this.options.docker.getImage(name).remove();
        removed.push(image.id);
        this.lastUsed.delete(image.id);
      } catch (error) {
        this.log.warn({ image: image.tags[0] ?? image.id, error: engineMessage(error) }, "cannot remove an unused image");
      }
    }
    if (removed.length) this.log.info({ removed: removed.length, budgetBytes: this.options.policy.budgetBytes, totalBytes: input.totalBytes }, "collected unused Docker images over the disk budget");
    await this.save();
    return removed;
  }

  private async load(): Promise<void> {
    if (this.loaded || !this.options.statePath) return;
    this.loaded = true;
    try {
      const saved = JSON.parse(await readFile(this.options.statePath, "utf8")) as Record<string, number>;
      for (const [id, at] of Object.entries(saved)) if (typeof at === "number") this.lastUsed.set(id, at);
    } catch {
      // none yet (or unreadable): creation times stand in
    }
  }

  private async save(): Promise<void> {
    if (!this.options.statePath) return;
    await writeFileAtomic(this.options.statePath, JSON.stringify(Object.fromEntries(this.lastUsed))).catch((error: unknown) =>
      this.log.warn({ err: error }, "cannot save image last-use times"),
    );
  }
}

/** Runs `collector.collect()` every `intervalMs` (one round at a time); returns the stop function. */
export function startImageGc(collector: ImageCollector, intervalMs: number, log: Logger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void collector
      .collect()
      .catch((error: unknown) => log.warn({ err: error }, "Docker image collection failed"))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
