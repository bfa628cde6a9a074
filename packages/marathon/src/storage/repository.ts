/**
 * Marathon's durable state in the coordination Store: framework id, apps and their versions,
 * deployments and instances, one JSON node each, under a root (default `/marathon`):
 *
 *   /framework-id              the Mesos framework id, reused on every (re)subscription
 *   /apps/<mangled-id>         the current definition of each app
 *   /versions/<mangled-id>/<v> every stored version of it (oldest dropped past `maxVersions`)
 *   /deployments/<id>          running deployment plans, resumed after a restart
 *   /instances/<instanceId>    instances, so that a restarted Marathon knows its tasks
 *
 * Writes are issued concurrently; the embedded store's group commit makes many share one fsync.
 */
import { mangleAppId, type AppDefinition } from "@caravel/api";
import type { Store } from "@caravel/coordination";
import type { DeploymentPlan } from "../deploy/plan.js";
import type { Instance } from "../instances/instance.js";

export interface LoadedState {
  frameworkId?: string;
  apps: AppDefinition[];
  deployments: DeploymentPlan[];
  instances: Instance[];
}

const enc = (s: string): string => encodeURIComponent(s);

export class Repository {
  constructor(
    private readonly store: Store,
    private readonly root = "/marathon",
    private readonly maxVersions = 50,
  ) {}

  async load(): Promise<LoadedState> {
    const frameworkId = (await this.store.getJson<string>(`${this.root}/framework-id`))?.value;
    const apps = await this.readAll<AppDefinition>(`${this.root}/apps`);
    const deployments = await this.readAll<DeploymentPlan>(`${this.root}/deployments`);
    const instances = await this.readAll<Instance>(`${this.root}/instances`);
    return { ...(frameworkId ? { frameworkId } : {}), apps, deployments, instances };
  }

  private async readAll<T>(dir: string): Promise<T[]> {
    const names = await this.store.children(dir);
    const values = await Promise.all(names.map((n) => this.store.getJson<T>(`${dir}/${n}`)));
    return values.filter((v): v is NonNullable<typeof v> => v !== undefined).map((v) => v.value);
  }

  async saveFrameworkId(id: string): Promise<void> {
    await this.store.putJson(`${this.root}/framework-id`, id);
  }

  /** Stores an app as current and as a version. */
  async saveApp(app: AppDefinition): Promise<void> {
    const key = mangleAppId(app.id);
    await Promise.all([this.store.putJson(`${this.root}/apps/${key}`, app), this.store.putJson(`${this.root}/versions/${key}/${enc(app.version ?? "")}`, app)]);
    const versions = await this.store.children(`${this.root}/versions/${key}`);
    const excess = versions.length - this.maxVersions;
    if (excess > 0) await Promise.all(versions.slice(0, excess).map((v) => this.store.delete(`${this.root}/versions/${key}/${v}`)));
  }

  async deleteApp(id: string): Promise<void> {
    const key = mangleAppId(id);
    await Promise.all([this.store.delete(`${this.root}/apps/${key}`), this.store.delete(`${this.root}/versions/${key}`, { recursive: true })]);
  }

  /** Version strings of an app, oldest first. */
  async versions(id: string): Promise<string[]> {
    return (await this.store.children(`${this.root}/versions/${mangleAppId(id)}`)).map(decodeURIComponent).sort();
  }

  async appVersion(id: string, version: string): Promise<AppDefinition | undefined> {
    return (await this.store.getJson<AppDefinition>(`${this.root}/versions/${mangleAppId(id)}/${enc(version)}`))?.value;
  }

  async saveDeployment(plan: DeploymentPlan): Promise<void> {
    await this.store.putJson(`${this.root}/deployments/${plan.id}`, plan);
  }

  async deleteDeployment(id: string): Promise<void> {
    await this.store.delete(`${this.root}/deployments/${id}`);
  }

  async saveInstance(instance: Instance): Promise<void> {
    await this.store.putJson(`${this.root}/instances/${enc(instance.instanceId)}`, instance);
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await this.store.delete(`${this.root}/instances/${enc(instanceId)}`);
  }
}
