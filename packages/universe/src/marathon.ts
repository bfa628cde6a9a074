/** The Marathon calls Cosmos makes: create an app, list package apps, delete an app and wait until gone. */
import { CosmosError } from "./errors.js";

export interface MarathonApp {
  id: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

const TIMEOUT_MS = 30_000;

export class MarathonClient {
  constructor(private readonly base: string) {}

  private async call(method: string, path: string, auth: string | undefined, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        headers: { "content-type": "application/json", accept: "application/json", ...(auth ? { authorization: auth } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new CosmosError("ServiceUnavailable", `Marathon at ${this.base} is unreachable (${(error as Error).message}); is caravel-marathon running?`, 503, { serviceName: "marathon" });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (res.status === 401 || res.status === 403) {
      throw new CosmosError(res.status === 401 ? "Unauthorized" : "Forbidden", `Marathon refused the request (HTTP ${res.status}); log in again or ask for permission`, res.status);
    }
    return { status: res.status, json };
  }

  /** POST /v2/apps; 409 → PackageAlreadyInstalled; 422/400 → MarathonBadResponse with Marathon's details. */
  async createApp(app: Record<string, unknown>, auth: string | undefined): Promise<void> {
    const { status, json } = await this.call("POST", "/v2/apps", auth, app);
    if (status === 201 || status === 200) return;
    if (status === 409) throw new CosmosError("PackageAlreadyInstalled", `an app with id ${String(app.id)} already exists; uninstall it or install with another appId`, 409, { appId: app.id });
    throw new CosmosError("MarathonBadResponse", `Marathon refused the rendered app (HTTP ${status}): ${JSON.stringify(json)}`, status >= 500 ? 502 : 400, { marathon: json });
  }

  /** All apps (with labels). */
  async apps(auth: string | undefined): Promise<MarathonApp[]> {
    const { status, json } = await this.call("GET", "/v2/apps", auth);
    if (status !== 200) throw new CosmosError("MarathonBadResponse", `GET /v2/apps answered HTTP ${status}`, 502);
    return ((json as { apps?: MarathonApp[] }).apps ?? []);
  }

  /** GET /v2/apps/<id>; undefined when Marathon does not know it. */
  async app(rawId: string, auth: string | undefined): Promise<MarathonApp | undefined> {
    const appId = rawId.startsWith("/") ? rawId : `/${rawId}`;
    const { status, json } = await this.call("GET", `/v2/apps${appId}`, auth);
    if (status === 404) return undefined;
    if (status !== 200) throw new CosmosError("MarathonBadResponse", `GET /v2/apps${appId} answered HTTP ${status}`, 502);
    return (json as { app: MarathonApp }).app;
  }

  /** Replaces an app whole (PUT, partialUpdate=false, force) and returns the deployment id. */
  async replaceApp(app: Record<string, unknown>, auth: string | undefined): Promise<string> {
    const id = String(app.id);
    const { status, json } = await this.call("PUT", `/v2/apps${id.startsWith("/") ? id : `/${id}`}?force=true&partialUpdate=false`, auth, app);
    if (status === 200 || status === 201) return String((json as { deploymentId?: unknown }).deploymentId ?? "");
    throw new CosmosError("MarathonBadResponse", `Marathon refused the updated app (HTTP ${status}): ${JSON.stringify(json)}`, status >= 500 ? 502 : 400, { marathon: json });
  }

  /** DELETE /v2/apps/<id>, then polls until Marathon answers 404 (or the timeout passes). */
  async deleteAndWait(rawId: string, auth: string | undefined, timeoutMs = 60_000): Promise<void> {
    const appId = rawId.startsWith("/") ? rawId : `/${rawId}`;
    const path = `/v2/apps${appId}`;
    const del = await this.call("DELETE", `${path}?force=true`, auth);
    if (del.status === 404) return;
    if (del.status >= 300) throw new CosmosError("MarathonBadResponse", `DELETE ${path} answered HTTP ${del.status}: ${JSON.stringify(del.json)}`, 502);
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    for (;;) {
      // Gone means: Marathon no longer knows the app and no deployment is still stopping its tasks
      // (until then a re-install of the same id would be refused with 409).
      const { status } = await this.call("GET", path, auth);
      if (status === 404) {
        const deployments = await this.call("GET", "/v2/deployments", auth);
        const busy = Array.isArray(deployments.json) && (deployments.json as { affectedApps?: string[] }[]).some((d) => d.affectedApps?.includes(appId));
        if (!busy) return;
      }
      if (Date.now() > deadline) throw new CosmosError("IncompleteUninstall", `app ${appId} is still in Marathon ${Math.round(timeoutMs / 1000)} s after its deletion; check /v2/deployments`, 500, { appId });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
}
