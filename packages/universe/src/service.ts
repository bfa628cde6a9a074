/** Package operations that touch Marathon: install, uninstall and the installed list (from labels). */
import type { InstallRequest, ListRequest, UninstallRequest } from "@caravel/api";
import type { Repositories } from "./repositories.js";
import type { MarathonApp, MarathonClient } from "./marathon.js";
import type { MasterClient } from "./master.js";
import { CosmosError } from "./errors.js";
import { renderPackage } from "./render/render.js";
import { decodePackageLabels } from "./render/labels.js";

const normalizeId = (id: string): string => (id.startsWith("/") ? id : `/${id}`).replace(/\/+$/, "");

export class PackageService {
  constructor(
    private readonly repos: Repositories,
    private readonly marathon: MarathonClient,
    private readonly uninstallTimeoutMs: number,
    private readonly master?: MasterClient,
  ) {}

  async render(body: { packageName: string; packageVersion?: string | undefined; options?: Record<string, unknown> | undefined; appId?: string | undefined }) {
    const { entry, repo } = (await this.repos.catalog()).resolve(body.packageName, body.packageVersion);
    return { entry, ...renderPackage({ entry, source: repo.uri, options: body.options, appId: body.appId }) };
  }

  /** Render → POST /v2/apps with the caller's Authorization. */
  async install(body: InstallRequest, auth: string | undefined, version: number) {
    const { entry, marathonJson } = await this.render(body);
    if (marathonJson) await this.marathon.createApp(marathonJson, auth);
    const appId = marathonJson ? normalizeId(String(marathonJson.id)) : undefined;
    const base = { packageName: entry.name, packageVersion: entry.version, ...(appId ? { appId } : {}) };
    if (version < 2) return base;
    const cli = (entry.resource as { cli?: unknown } | undefined)?.cli;
    return { ...base, ...(entry.postInstallNotes ? { postInstallNotes: entry.postInstallNotes } : {}), ...(cli ? { cli } : {}) };
  }

  private async packageApps(auth: string | undefined): Promise<MarathonApp[]> {
    return (await this.marathon.apps(auth)).filter((a) => a.labels?.DCOS_PACKAGE_NAME);
  }

  /** Deletes the package's apps (one, or all with `all:true`) and waits until Marathon forgets them. */
  async uninstall(body: UninstallRequest, auth: string | undefined) {
    let apps = (await this.packageApps(auth)).filter((a) => a.labels!.DCOS_PACKAGE_NAME === body.packageName);
    if (body.appId !== undefined) apps = apps.filter((a) => a.id === normalizeId(body.appId!));
    if (body.packageVersion !== undefined) apps = apps.filter((a) => a.labels!.DCOS_PACKAGE_VERSION === body.packageVersion);
    if (apps.length === 0) {
      throw new CosmosError("PackageNotInstalled", `package ${body.packageName}${body.appId ? ` with appId ${body.appId}` : ""} is not installed; see /package/list`, 404, { packageName: body.packageName });
    }
    if (apps.length > 1 && !body.all) {
      throw new CosmosError("AmbiguousAppId", `package ${body.packageName} is installed as ${apps.map((a) => a.id).join(", ")}; give appId or all:true`, 400, { packageName: body.packageName, appIds: apps.map((a) => a.id) });
    }
    await Promise.all(
      apps.map(async (a) => {
        await this.marathon.deleteAndWait(a.id, auth, this.uninstallTimeoutMs);
        // A framework package's scheduler ran as this app; its framework (and tasks) must go too.
        const framework = a.labels!.DCOS_PACKAGE_FRAMEWORK_NAME;
        if (framework && this.master) await this.master.teardownByName(framework, body.packageName, auth);
      }),
    );
    return {
      results: apps.map((a) => {
        const pkg = decodePackageLabels(a.labels!);
        return {
          packageName: body.packageName,
          appId: a.id,
          packageVersion: a.labels!.DCOS_PACKAGE_VERSION,
          ...(typeof pkg?.postUninstallNotes === "string" ? { postUninstallNotes: pkg.postUninstallNotes } : {}),
        };
      }),
    };
  }

  /** Installed packages, derived from Marathon apps' DCOS_PACKAGE_* labels. */
  async list(body: ListRequest, auth: string | undefined) {
    const apps = (await this.packageApps(auth)).filter(
      (a) => (body.packageName === undefined || a.labels!.DCOS_PACKAGE_NAME === body.packageName) && (body.appId === undefined || a.id === normalizeId(body.appId)),
    );
    const packages = apps.map((a) => {
      const pkg = decodePackageLabels(a.labels!) ?? {};
      const { config: _c, marathon: _m, resource, command: _cmd, ...definition } = pkg;
      const res = resource as { assets?: unknown; images?: unknown; cli?: unknown } | undefined;
      return {
        appId: a.id,
        packageInformation: {
          packageDefinition: definition,
          ...(res ? { resourceDefinition: { ...(res.assets ? { assets: res.assets } : {}), ...(res.images ? { images: res.images } : {}), ...(res.cli ? { cli: res.cli } : {}) } } : {}),
        },
      };
    });
    return { packages: packages.sort((x, y) => x.appId.localeCompare(y.appId)) };
  }
}
