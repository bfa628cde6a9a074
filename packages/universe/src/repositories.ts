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

export class Repositories {
  private catalogPromise: Promise<Catalog> | undefined;
  private loaded: LoadedRepository[] = [];

  constructor(
    private readonly store: Store,
    private readonly defaults: readonly RepositoryRef[],
    private readonly log: Logger,
  ) {}

  /** The ordered list: what is stored, else the defaults. */
  async list(): Promise<RepositoryRef[]> {
    const node = await this.store.getJson(REPOSITORIES_PATH, Stored);
    return node ? node.value.repositories : [...this.defaults];
  }

  /** The catalog over the current list, loaded once and reused until the list changes. */
  catalog(): Promise<Catalog> {
    if (!this.catalogPromise) {
      const loading = this.load();
      this.catalogPromise = loading;
      // A failed load (e.g. the Store is unreachable) must not be cached: the next request retries.
      loading.catch(() => {
        if (this.catalogPromise === loading) this.catalogPromise = undefined;
      });
    }
    return this.catalogPromise;
  }

  /** Loading problems of each repository, keyed by name (from the last load). */
  errorsOf(name: string): string[] {
    const repo = this.loaded.find((r) => r.name === name);
    return repo ? repo.errors.map((e) => (e.package ? `${e.package}: ${e.message}` : e.message)) : [];
  }

  private async load(): Promise<Catalog> {
    const refs = await this.list();
    const loaded = await Promise.all(refs.map((r) => loadRepository(r.name, r.uri)));
    for (const repo of loaded) {
      for (const e of repo.errors)
        this.log.warn({ repository: repo.name, uri: repo.uri, package: e.package }, e.message);
      this.log.info(
        { repository: repo.name, uri: repo.uri, packages: repo.packages.length, errors: repo.errors.length },
        "repository loaded",
      );
    }
    this.loaded = loaded;
    return new Catalog(loaded);
  }

  /** Forces a reload on the next request (e.g. after an external change). */
  invalidate(): void {
    this.catalogPromise = undefined;
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
