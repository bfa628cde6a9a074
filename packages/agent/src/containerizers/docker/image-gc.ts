/**
 * Which Docker images to remove when images use more disk than `--docker_image_gc_budget` allows:
 * the least recently used first, until the total fits, and never one that
 * - any container uses, running or stopped, ours or not (the engine would refuse anyway, and a
 *   stopped container may be restarted or inspected);
 * - a task is about to start (its image is being pulled or created from right now);
 * - is the parent of another image (built here; the engine refuses to remove it);
 * - matches `--docker_image_gc_keep` (e.g. `local/*`: images built on this machine, which no
 *   registry can give back).
 * Pure: the runner (image-gc-runner.ts) gathers the facts from the engine and removes what this picks.
 */

export interface ImageFacts {
  /** Engine image id (sha256:…). */
  id: string;
  /** `repo:tag` names; empty for a dangling image. */
  tags: string[];
  /** `repo@sha256:…` names. */
  digests: string[];
  /** Bytes freed by removing it (its size less what it shares with other images). */
  sizeBytes: number;
  /** Creation time (ms), the fallback when its last use is unknown. */
  createdAt: number;
  /** The image it was built on, for images built on this engine (the engine keeps parents of live images). */
  parentId?: string;
}

export interface ImageGcPolicy {
  /** Bytes all images may use; 0 turns the collection off. */
  budgetBytes: number;
  /**
   * Name patterns never removed: `*` matches any run of characters; a pattern without a tag matches
   * every tag; `sha256:…` patterns match image ids.
   */
  keep: string[];
}

export interface ImageGcInput {
  images: ImageFacts[];
  /** Disk used by all images together (layers counted once). */
  totalBytes: number;
  /** Image ids any container (running or stopped) was created from. */
  usedByContainers: ReadonlySet<string>;
  /** Image references (names or ids) tasks are launching from right now. */
  launching: Iterable<string>;
  /** Last use (ms) per image id, as far as known. */
  lastUsed: ReadonlyMap<string, number>;
}

/** `busybox` → `busybox:latest`; `docker.io/library/x:1` → `x:1`; ids and digests are left alone. */
export function normalizeRef(ref: string): string {
  let r = ref.trim();
  if (/^sha256:[0-9a-f]+$/i.test(r)) return r.toLowerCase();
  r = r.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "");
  r = r.replace(/^library\//, "");
  if (r.includes("@")) return r;
  const lastSlash = r.lastIndexOf("/");
  return r.slice(lastSlash + 1).includes(":") ? r : `${r}:latest`;
}

function glob(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

/** Whether a name matches one of the keep patterns. */
export function isKept(names: readonly string[], keep: readonly string[]): boolean {
  for (const raw of keep) {
    const p = raw.trim();
    if (!p) continue;
    const withoutTag = !p.slice(p.lastIndexOf("/") + 1).includes(":") && !p.includes("@");
    const patterns = [glob(p), glob(normalizeRef(p))];
    if (withoutTag) patterns.push(glob(`${p}:*`), glob(`${normalizeRef(p).replace(/:latest$/, "")}:*`));
    if (names.some((n) => patterns.some((re) => re.test(n) || re.test(normalizeRef(n))))) return true;
  }
  return false;
}

/** Parses `--docker_image_gc_keep` (comma-separated patterns). */
export function parseKeepList(spec: string): string[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The images to remove, in order, so that the total fits the budget (or as close as the protected
 * images allow). Empty when the collection is off or the total already fits.
 */
export function selectImagesForRemoval(input: ImageGcInput, policy: ImageGcPolicy): ImageFacts[] {
  if (policy.budgetBytes <= 0 || input.totalBytes <= policy.budgetBytes) return [];
  const launching = new Set([...input.launching].map(normalizeRef));
  const parents = new Set(input.images.map((i) => i.parentId).filter((p): p is string => Boolean(p)));
  const protectedImage = (image: ImageFacts): boolean =>
    input.usedByContainers.has(image.id) ||
    parents.has(image.id) ||
    launching.has(normalizeRef(image.id)) ||
    image.tags.some((t) => launching.has(normalizeRef(t))) ||
    image.digests.some((d) => launching.has(normalizeRef(d))) ||
    isKept([...image.tags, ...image.digests, image.id], policy.keep);
  const lastUse = (image: ImageFacts): number => input.lastUsed.get(image.id) ?? image.createdAt;
  const candidates = input.images.filter((image) => !protectedImage(image)).sort((a, b) => lastUse(a) - lastUse(b) || a.id.localeCompare(b.id));
  const chosen: ImageFacts[] = [];
  let total = input.totalBytes;
  for (const image of candidates) {
    if (total <= policy.budgetBytes) break;
    chosen.push(image);
    total -= image.sizeBytes;
  }
  return chosen;
}
