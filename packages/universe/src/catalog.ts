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

/** An index over repositories, built once per reload so that requests are cheap. */
export class Catalog {
  /** name → {repository, releases sorted newest first}; first repository with the name wins. */
  private readonly byName = new Map<string, { repo: LoadedRepository; releases: PackageEntry[] }>();
  /** Each result with its JSON text made once, so a search only filters and joins strings. */
  private readonly summaries: { result: SearchResult; json: string; haystack: string[]; joined: string }[] = [];

  constructor(readonly repositories: readonly LoadedRepository[]) {
    for (const repo of repositories) {
      const grouped = new Map<string, PackageEntry[]>();
      for (const p of repo.packages) grouped.set(p.name, [...(grouped.get(p.name) ?? []), p]);
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
        description: current.description ?? "",
        framework: current.framework ?? false,
        tags: current.tags ?? [],
        selected: current.selected ?? false,
        ...(images ? { images } : {}),
      };
      const haystack = [name, result.description, ...result.tags].map((s) => s.toLowerCase());
      this.summaries.push({ result, json: JSON.stringify(result), haystack, joined: haystack.join("\n") });
    }
    this.summaries.sort((a, b) => Number(b.result.selected) - Number(a.result.selected) || a.result.name.localeCompare(b.result.name));
  }

  /** Cosmos search: `*` makes a wildcard over name/description/tags, else a case-insensitive substring. */
  search(query: string | undefined): SearchResult[] {
    return this.matches(query).map((s) => s.result);
  }

  /** The search response body as JSON text, joined from pre-serialized results. */
  searchJson(query: string | undefined): string {
    return `{"packages":[${this.matches(query).map((s) => s.json).join(",")}]}`;
  }

  private matches(query: string | undefined): typeof this.summaries {
    const q = (query ?? "").trim().toLowerCase();
    if (!q) return this.summaries;
    if (q.includes("*")) {
      const re = new RegExp(`^${q.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
      return this.summaries.filter((s) => s.haystack.some((h) => re.test(h)));
    }
    // Fields are joined with newlines: a query without one cannot match across a separator, so one scan suffices.
    if (!q.includes("\n")) return this.summaries.filter((s) => s.joined.includes(q));
    return this.summaries.filter((s) => s.haystack.some((h) => h.includes(q)));
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

  /** `{version: releaseVersion}` of a package, oldest first. */
  versions(name: string): Record<string, string> {
    const found = this.byName.get(name);
    if (!found) throw new CosmosError("PackageNotFound", `Package [${name}] not found in any configured repository`, 400, { packageName: name });
    const out: Record<string, string> = {};
    for (const r of [...found.releases].reverse()) out[r.version] = String(r.releaseVersion);
    return out;
  }
}
