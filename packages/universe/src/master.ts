/** The Mesos master calls uninstall needs: find a framework by name and tear it down. */
import { CosmosError } from "./errors.js";

interface FrameworkView {
  id: string;
  name: string;
  active?: boolean;
}

/** The Mesos master(s): one URL or a comma-separated list (HA); a follower redirects to the leader. */
export class MasterClient {
  private readonly bases: string[];

  constructor(base: string) {
    this.bases = base.split(",").map((b) => b.trim()).filter(Boolean);
  }

  /** Tries each master in turn until one answers (the first reachable one redirects if it does not lead). */
  private async request(method: string, path: string, auth: string | undefined, body?: unknown): Promise<Response> {
    const failures: string[] = [];
    for (const base of this.bases) {
      try {
        return await fetch(new URL(path, base), {
          method,
          headers: { "content-type": "application/json", accept: "application/json", ...(auth ? { authorization: auth } : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (error) {
        failures.push(`${base}: ${(error as Error).message}`);
      }
    }
    throw new CosmosError("IncompleteUninstall", `the app was removed but no Mesos master answered (${failures.join("; ")}), so its framework was not torn down; retry the uninstall or tear it down with POST /api/v1 TEARDOWN`, 500);
  }

  /** Tears down the active framework named `name` (none: nothing to do; several: MultipleFrameworkIds). */
  async teardownByName(name: string, packageName: string, auth: string | undefined): Promise<void> {
    const res = await this.request("GET", "/master/frameworks", auth);
    if (!res.ok) throw new CosmosError("IncompleteUninstall", `GET /master/frameworks answered HTTP ${res.status}; framework ${name} was not torn down`, 500, { frameworkName: name });
    const { frameworks = [] } = (await res.json()) as { frameworks?: FrameworkView[] };
    const ids = frameworks.filter((f) => f.name === name && f.active !== false).map((f) => f.id);
    if (ids.length === 0) return;
    if (ids.length > 1) {
      throw new CosmosError("MultipleFrameworkIds", `several frameworks are named ${name} (${ids.join(", ")}); tear the right one down with POST /api/v1 TEARDOWN`, 409, { packageName, frameworkName: name, frameworkIds: ids });
    }
    const down = await this.request("POST", "/api/v1", auth, { type: "TEARDOWN", teardown: { framework_id: { value: ids[0] } } });
    if (!down.ok) {
      const text = await down.text();
      throw new CosmosError("IncompleteUninstall", `tearing down framework ${name} (${ids[0]}) failed with HTTP ${down.status}: ${text.slice(0, 300)}`, 500, { frameworkName: name, frameworkId: ids[0] });
    }
    await down.body?.cancel();
  }
}
