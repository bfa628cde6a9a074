/**
 * The package catalog over loaded repositories (pure): search, lookup and version lists, with
 * Cosmos' rules — repositories in order, the first that has a name wins, highest release wins.
 */
import type { LoadedRepository, PackageEntry } from "./model.js";
import { CosmosError } from "./errors.js";

export interface SearchResult {
  name: string;
  currentVersion: string;
  versions: Record<string, string>;
  description: string;
  framework: boolean;
  tags: string[];
  selected: boolean;
  images?: Record<string, unknown>;
}

/** Distinct queries whose response bytes are kept; a dashboard repeats a handful, a flood must not grow memory. */
const SEARCH_CACHE_SIZE = 512;

const OPEN = Buffer.from('{"packages":[');
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]}");

interface Summary {
  result: SearchResult;
  /** The result's JSON, encoded once: a response is a concatenation of these. */
  bytes: Buffer;
  /** Lower-cased name, description and tags (wildcards match each field whole). */
  haystack: string[];
}

/** An index over repositories, built once per reload so that requests are cheap. */
export class Catalog {
  /** name → {repository, releases sorted newest first}; first repository with the name wins. */
  private readonly byName = new Map<string, { repo: LoadedRepository; releases: PackageEntry[] }>();
  /** Summaries in response order (selected first, then by name). */
  private readonly summaries: Summary[] = [];
  /**
   * All summaries' fields in one lower-cased text, fields separated by "\n" and packages by "\u0000",
   * with each package's start offset: a substring query is one indexOf pass over one string instead
   * of one test per package, and a hit maps back to its package by binary search.
   */
  private readonly text: string;
  private readonly starts: number[] = [];
  /** query → response body; the catalog is immutable, so a cached body never goes stale. */
  private readonly searchCache = new Map<string, Buffer>();

  constructor(readonly repositories: readonly LoadedRepository[]) {
    for (const repo of repositories) {
      const grouped = new Map<string, PackageEntry[]>();
      for (const p of repo.packages) {
        const list = grouped.get(p.name);
        if (list) list.push(p);
        else grouped.set(p.name, [p]);
      }
      for (const [name, releases] of grouped) {
        if (this.byName.has(name)) continue;
        releases.sort((a, b) => b.releaseVersion - a.releaseVersion);
        this.byName.set(name, { repo, releases });
      }
    }
    for (const [name, { releases }] of this.byName) {
      const current = releases[0]!;
      const versions: Record<string, string> = {};
      for (const r of [...releases].reverse()) versions[r.version] = String(r.releaseVersion);
      const images = (current.resource as { images?: Record<string, unknown> } | undefined)?.images;
      const result: SearchResult = {
        name,
        currentVersion: current.version,
        versions,
        description: typeof current.description === "string" ? current.description : "",
        framework: current.framework === true,
        tags: Array.isArray(current.tags) ? current.tags.map(String) : [],
        selected: current.selected === true,
        ...(images ? { images } : {}),
      };
      const haystack = [name, result.description, ...result.tags].map((s) => s.toLowerCase());
      this.summaries.push({ result, bytes: Buffer.from(JSON.stringify(result)), haystack });
    }
    this.summaries.sort((a, b) => Number(b.result.selected) - Number(a.result.selected) || (a.result.name < b.result.name ? -1 : a.result.name > b.result.name ? 1 : 0));
    let offset = 0;
    const parts: string[] = [];
    for (const s of this.summaries) {
      this.starts.push(offset);
      const joined = s.haystack.join("\n");
      parts.push(joined);
      offset += joined.length + 1;
    }
    this.text = parts.join("\u0000");
  }

  /** Cosmos search: `*` makes a wildcard over name/description/tags, else a case-insensitive substring. */
  search(query: string | undefined): SearchResult[] {
    return this.matches(query).map((s) => s.result);
  }

  /** The search response body, joined from pre-encoded results and kept for the next identical query. */
  searchBody(query: string | undefined): Buffer {
    const key = (query ?? "").trim().toLowerCase();
    const hit = this.searchCache.get(key);
    if (hit) return hit;
    const found = this.matches(key);
    const parts: Buffer[] = [OPEN];
    found.forEach((s, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(s.bytes);
    });
    parts.push(CLOSE);
    const body = Buffer.concat(parts);
    if (this.searchCache.size >= SEARCH_CACHE_SIZE) this.searchCache.delete(this.searchCache.keys().next().value!);
    this.searchCache.set(key, body);
    return body;
  }

  private matches(query: string | undefined): Summary[] {
    const q = (query ?? "").trim().toLowerCase();
    if (!q) return this.summaries;
    if (q.includes("*")) {
      const re = new RegExp(`^${q.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
      return this.summaries.filter((s) => s.haystack.some((h) => re.test(h)));
    }
    // A query holding a separator could match across fields in the joined text: test fields one by one.
    if (q.includes("\n") || q.includes("\u0000")) return this.summaries.filter((s) => s.haystack.some((h) => h.includes(q)));
    const out: Summary[] = [];
    let at = this.text.indexOf(q);
    while (at >= 0) {
      const i = this.packageAt(at);
      out.push(this.summaries[i]!);
      // Resume at the next package: one hit per package, in response order.
      const next = this.starts[i + 1];
      if (next === undefined) break;
      at = this.text.indexOf(q, next);
    }
    return out;
  }

  /** Index of the package whose text holds offset `at` (binary search over start offsets). */
  private packageAt(at: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Resolves a package (highest release unless a version is given); throws PackageNotFound/VersionNotFound. */
  resolve(name: string, version?: string): { entry: PackageEntry; repo: LoadedRepository } {
    const found = this.byName.get(name);
    if (!found) throw new CosmosError("PackageNotFound", `Package [${name}] not found in any configured repository; try /package/search`, 400, { packageName: name });
    if (version === undefined) return { entry: found.releases[0]!, repo: found.repo };
    const entry = found.releases.find((r) => r.version === version);
    if (!entry) {
      const known = found.releases.map((r) => r.version).join(", ");
      throw new CosmosError("VersionNotFound", `Version [${version}] of package [${name}] not found; available: ${known}`, 400, { packageName: name, packageVersion: version });
    }
    return { entry, repo: found.repo };
  }

  /** Every release of a package, newest first (empty when no repository has it). */
  releasesOf(name: string): readonly PackageEntry[] {
    return this.byName.get(name)?.releases ?? [];
  }

  /** `{version: releaseVersion}` of a package, oldest first. */
  versions(name: string): Record<string, string> {
    const found = this.byName.get(name);
    if (!found) throw new CosmosError("PackageNotFound", `Package [${name}] not found in any configured repository`, 400, { packageName: name });
    const out: Record<string, string> = {};
    for (const r of [...found.releases].reverse()) out[r.version] = String(r.releaseVersion);
    return out;
  }
}
