/**
 * The configured repositories: an ordered list persisted in the Store, loaded into a Catalog that is
 * rebuilt when the list changes. Loading problems are kept per repository for /package/repository/list.
 */
import type { Store } from "@caravel/coordination";
import { RepositoryRef } from "@caravel/api";
import { z } from "zod";
import type { Logger } from "@caravel/runtime";
import { Catalog } from "./catalog.js";
import { CosmosError } from "./errors.js";
import type { LoadedRepository } from "./model.js";
import { loadRepository } from "./repo/load.js";

export const REPOSITORIES_PATH = "/universe/repositories";
const Stored = z.object({ repositories: z.array(RepositoryRef) });

/** How often repositories are re-read, and how soon a repository that failed to load is tried again. */
export interface RefreshPolicy {
  refreshMs: number;
  retryMs: number;
}
export const DEFAULT_REFRESH: RefreshPolicy = { refreshMs: 300_000, retryMs: 15_000 };

interface Loaded {
  catalog: Catalog;
  repos: LoadedRepository[];
  loadedAt: number;
  /** Some repository failed as a whole (unreachable, 404, invalid JSON): retry it sooner. */
  broken: boolean;
  generation: number;
}

export class Repositories {
  /** Bumped by every change of the list: a load of an older list must not replace a newer one. */
  private generation = 0;
  private current: Loaded | undefined;
  private pending: { promise: Promise<Catalog>; generation: number } | undefined;

  constructor(
    private readonly store: Store,
    private readonly defaults: readonly RepositoryRef[],
    private readonly log: Logger,
    private readonly refresh: RefreshPolicy = DEFAULT_REFRESH,
  ) {}

  /** The ordered list: what is stored, else the defaults. */
  async list(): Promise<RepositoryRef[]> {
    const node = await this.store.getJson(REPOSITORIES_PATH, Stored);
    return node ? node.value.repositories : [...this.defaults];
  }

  /**
   * The catalog over the current list. Requests never wait for a periodic re-read: a stale catalog is
   * served while the fresh one loads in the background (a repository down at start-up comes back by
   * itself, a remote index picks up new releases). After a change of the list, callers wait for it.
   */
  catalog(): Promise<Catalog> {
    const cur = this.current;
    if (cur && cur.generation === this.generation) {
      const age = Date.now() - cur.loadedAt;
      if (!this.pending && age > (cur.broken ? this.refresh.retryMs : this.refresh.refreshMs)) {
        this.reload().catch((error: unknown) => this.log.warn({ err: error }, "re-reading the repositories failed; the previous catalog stays"));
      }
      return Promise.resolve(cur.catalog);
    }
    return this.reload();
  }

  private reload(): Promise<Catalog> {
    if (this.pending && this.pending.generation === this.generation) return this.pending.promise;
    const generation = this.generation;
    const promise = this.load().then((loaded) => {
      if (generation === this.generation) this.current = { ...loaded, loadedAt: Date.now(), generation };
      return loaded.catalog;
    });
    this.pending = { promise, generation };
    // A failed load (e.g. the Store is unreachable) is not kept: the next request tries again.
    const clear = () => {
      if (this.pending?.promise === promise) this.pending = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  /** Loading problems of each repository, keyed by name (from the last load). */
  errorsOf(name: string): string[] {
    const repo = this.current?.repos.find((r) => r.name === name);
    return repo ? repo.errors.map((e) => (e.package ? `${e.package}: ${e.message}` : e.message)) : [];
  }

  private async load(): Promise<Omit<Loaded, "loadedAt" | "generation">> {
    const refs = await this.list();
    const previous = this.current;
    const repos = await Promise.all(
      refs.map(async (r) => {
        const repo = await loadRepository(r.name, r.uri);
        // A repository that fails as a whole on a re-read keeps serving its last good copy, with the error shown.
        const before = previous?.repos.find((p) => p.name === r.name && p.uri === r.uri);
        if (repo.packages.length === 0 && repo.errors.some((e) => e.package === undefined) && before && before.packages.length > 0) {
          const since = new Date(previous!.loadedAt).toISOString();
          return { ...repo, packages: before.packages, errors: repo.errors.map((e) => ({ ...e, message: `${e.message} (serving the copy loaded at ${since})` })) };
        }
        return repo;
      }),
    );
    for (const repo of repos) {
      for (const e of repo.errors)
        this.log.warn({ repository: repo.name, uri: repo.uri, package: e.package }, e.message);
      this.log.info(
        { repository: repo.name, uri: repo.uri, packages: repo.packages.length, errors: repo.errors.length },
        "repository loaded",
      );
    }
    return { catalog: new Catalog(repos), repos, broken: repos.some((r) => r.errors.some((e) => e.package === undefined)) };
  }

  /** Forces a reload on the next request (e.g. after an external change); that request waits for it. */
  invalidate(): void {
    this.generation++;
  }

  /** Adds a repository at `index` (end by default); duplicate names or URIs are refused. */
  async add(ref: RepositoryRef, index?: number): Promise<RepositoryRef[]> {
    return this.change((current) => {
      if (current.some((r) => r.name === ref.name || r.uri === ref.uri)) {
        throw new CosmosError(
          "RepositoryAlreadyPresent",
          `a repository named ${JSON.stringify(ref.name)} or with URI ${JSON.stringify(ref.uri)} is already configured; delete it first or pick another name`,
          409,
          { name: ref.name, uri: ref.uri },
        );
      }
      if (index !== undefined && index > current.length) {
        throw new CosmosError(
          "RepositoryAddIndexOutOfBounds",
          `index ${index} is past the end of the list (${current.length} repositories); use 0..${current.length} or leave it out`,
          400,
          { attempted: index, max: current.length },
        );
      }
      const next = [...current];
      next.splice(index ?? next.length, 0, ref);
      return next;
    });
  }

  /** Deletes by name or URI. */
  async delete(name?: string, uri?: string): Promise<RepositoryRef[]> {
    if (name === undefined && uri === undefined)
      throw new CosmosError("RepoNameOrUriMissing", "give the repository's name or uri to delete it", 400);
    return this.change((current) => {
      const next = current.filter(
        (r) => !((name !== undefined && r.name === name) || (uri !== undefined && r.uri === uri)),
      );
      if (next.length === current.length) {
        throw new CosmosError(
          "RepositoryNotPresent",
          `no repository named ${JSON.stringify(name ?? uri)} is configured; see /package/repository/list`,
          400,
          { name: name ?? uri },
        );
      }
      return next;
    });
  }

  /** Read-modify-write of the stored list with compare-and-set, so concurrent changes are not lost. */
  private async change(fn: (current: RepositoryRef[]) => RepositoryRef[]): Promise<RepositoryRef[]> {
    const stored = await this.store.updateJson<z.infer<typeof Stored>>(
      REPOSITORIES_PATH,
      (value) => ({ repositories: fn(value ? value.repositories : [...this.defaults]) }),
      { schema: Stored },
    );
    this.invalidate();
    return stored!.value.repositories;
  }
}
