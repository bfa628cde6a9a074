/**
 * Rewrites the legacy (pre-1.5) networking and fetch forms of an app definition into the 1.5 form,
 * on raw JSON before schema parsing, so that everything after sees one shape. Universe templates
 * still send `container.docker.network` + `docker.portMappings`, `ports` and `uris`.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** True when a raw app (or app update) uses any legacy networking key. */
export function usesLegacyNetworking(raw: Json): boolean {
  const docker = isObject(raw["container"]) && isObject((raw["container"] as Json)["docker"]) ? ((raw["container"] as Json)["docker"] as Json) : undefined;
  return raw["ports"] != null || raw["ipAddress"] != null || docker?.["network"] != null || docker?.["portMappings"] != null;
}

/** Returns a copy of `raw` in the 1.5 form. Keys it does not know are left alone. */
export function normalizeLegacyApp(raw: Json): Json {
  const app: Json = { ...raw };
  if (app["uris"] != null && app["fetch"] == null && Array.isArray(app["uris"])) {
    app["fetch"] = (app["uris"] as unknown[]).map((uri) => ({ uri, extract: true }));
  }
  delete app["uris"];

  const container = isObject(app["container"]) ? { ...(app["container"] as Json) } : undefined;
  const docker = container && isObject(container["docker"]) ? { ...(container["docker"] as Json) } : undefined;
  const ipAddress = isObject(app["ipAddress"]) ? (app["ipAddress"] as Json) : undefined;
  const legacyNetwork = typeof docker?.["network"] === "string" ? (docker["network"] as string).toUpperCase() : undefined;

  if (app["networks"] == null) {
    if (legacyNetwork === "BRIDGE") app["networks"] = [{ mode: "container/bridge" }];
    else if (legacyNetwork === "USER" || (ipAddress && legacyNetwork !== "HOST")) {
      const name = ipAddress?.["networkName"];
      app["networks"] = [{ mode: "container", ...(typeof name === "string" ? { name } : {}) }];
    } else if (legacyNetwork === "HOST" || legacyNetwork === "NONE") app["networks"] = [{ mode: "host" }];
  }

  if (docker && container) {
    if (docker["portMappings"] != null && container["portMappings"] == null) container["portMappings"] = docker["portMappings"];
    delete docker["portMappings"];
    delete docker["network"];
    container["docker"] = docker;
  }
  if (ipAddress && container && container["portMappings"] == null) {
    const discovery = isObject(ipAddress["discovery"]) ? (ipAddress["discovery"] as Json) : undefined;
    const ports = Array.isArray(discovery?.["ports"]) ? (discovery!["ports"] as Json[]) : [];
    if (ports.length) {
      container["portMappings"] = ports.map((p) => ({ containerPort: p["number"], name: p["name"], protocol: p["protocol"] }));
    }
  }
  if (container) app["container"] = container;
  delete app["ipAddress"];

  if (app["ports"] != null && app["portDefinitions"] == null && Array.isArray(app["ports"])) {
    app["portDefinitions"] = (app["ports"] as unknown[]).map((port) => ({ port, protocol: "tcp" }));
  }
  delete app["ports"];
  return app;
}
