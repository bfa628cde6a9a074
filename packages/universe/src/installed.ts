/**
 * The service RPCs (`/service/describe`, `/service/update`; Admin Router's `/cosmos/service/…`): an
 * installed app seen as the package it came from, and re-rendered with other options or another
 * version. Everything is read back from the app's DCOS_PACKAGE_* labels, as Cosmos does.
 */
import type { ServiceDescribeRequest, ServiceUpdateRequest } from "@caravel/api";
import { CosmosError } from "./errors.js";
import type { MarathonApp, MarathonClient } from "./marathon.js";
import type { PackageEntry } from "./model.js";
import type { Repositories } from "./repositories.js";
import { decodeOptionsLabel, decodePackageLabels } from "./render/labels.js";
import { deepMerge } from "./render/options.js";
import { renderPackage, resolveOptions } from "./render/render.js";

type Json = Record<string, unknown>;

/** `upgradesFrom`/`downgradesTo` semantics: the list names the version, or holds "*". */
export const listAllows = (list: unknown, version: string): boolean => Array.isArray(list) && (list.includes("*") || list.includes(version));

/** Versions the installed package may move to, by the catalog's releases and the packages' own lists. */
export function upgradePaths(installed: PackageEntry, releases: readonly PackageEntry[]): { upgradesTo: string[]; downgradesTo: string[] } {
  const others = releases.filter((r) => r.version !== installed.version);
  return {
    upgradesTo: others.filter((r) => listAllows(r.upgradesFrom, installed.version)).map((r) => r.version),
    downgradesTo: others.filter((r) => listAllows(installed.downgradesTo, r.version)).map((r) => r.version),
  };
}

export class InstalledServices {
  constructor(
    private readonly repos: Repositories,
    private readonly marathon: MarathonClient,
  ) {}

  private async installed(appId: string, auth: string | undefined): Promise<{ app: MarathonApp; pkg: PackageEntry; userOptions: Json }> {
    const app = await this.marathon.app(appId, auth);
    const pkg = app?.labels ? decodePackageLabels(app.labels) : undefined;
    if (!app || !pkg || typeof pkg.packagingVersion !== "string") {
      throw new CosmosError("MarathonAppNotFound", `no app ${JSON.stringify(appId)} installed from a package is in Marathon; see /package/list for installed apps`, 404, { appId });
    }
    return { app, pkg: pkg as PackageEntry, userOptions: decodeOptionsLabel(app.labels!.DCOS_PACKAGE_OPTIONS) };
  }

  /** The installed package, its options (as given and as resolved) and the versions it may move to. */
  async describe(body: ServiceDescribeRequest, auth: string | undefined) {
    const { pkg, userOptions } = await this.installed(body.appId, auth);
    const releases = (await this.repos.catalog()).releasesOf(pkg.name);
    let resolvedOptions: Json = userOptions;
    try {
      resolvedOptions = resolveOptions(pkg, userOptions);
    } catch {
      // Options stored by another Cosmos may no longer validate; describe still shows what was given.
    }
    return { package: pkg, ...upgradePaths(pkg, releases), resolvedOptions, userProvidedOptions: userOptions };
  }

  /** Re-renders the app (stored options merged with the new ones, or the new ones alone with `replace`) and replaces it in Marathon. */
  async update(body: ServiceUpdateRequest, auth: string | undefined) {
    const { app, pkg, userOptions } = await this.installed(body.appId, auth);
    let target = pkg;
    if (body.packageVersion !== undefined && body.packageVersion !== pkg.version) {
      const catalog = await this.repos.catalog();
      const { entry } = catalog.resolve(pkg.name, body.packageVersion);
      if (!listAllows(entry.upgradesFrom, pkg.version) && !listAllows(pkg.downgradesTo, entry.version)) {
        const paths = upgradePaths(pkg, catalog.releasesOf(pkg.name));
        throw new CosmosError(
          "VersionUpgradeNotSupported",
          `${pkg.name} ${pkg.version} cannot move to ${entry.version}: neither lists the other in upgradesFrom/downgradesTo; allowed: ${[...paths.upgradesTo, ...paths.downgradesTo].join(", ") || "none"}`,
          400,
          { packageName: pkg.name, installed: pkg.version, requested: entry.version, ...paths },
        );
      }
      target = entry;
    }
    const options = body.replace ? (body.options ?? {}) : (deepMerge(userOptions, body.options ?? {}) as Json);
    const source = app.labels!.DCOS_PACKAGE_SOURCE ?? "";
    const { marathonJson, resolvedOptions } = renderPackage({ entry: target, source, options, appId: app.id });
    if (!marathonJson) throw new CosmosError("ServiceMarathonTemplateNotFound", `${target.name} ${target.version} has no marathon.json.mustache, so there is nothing to update`, 400, { packageName: target.name });
    const marathonDeploymentId = await this.marathon.replaceApp(marathonJson, auth);
    return { package: target, resolvedOptions, marathonDeploymentId };
  }
}
