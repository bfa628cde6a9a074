/**
 * Service ports: cluster-wide port numbers an external proxy binds. Port 0 in portDefinitions (or a
 * mapping's servicePort 0) gets a free one from [localPortMin, localPortMax], unique across apps.
 */
import type { AppDefinition } from "@caravel/api";

/** The service ports an app holds (non-zero ones). */
export function servicePortsOf(app: AppDefinition): number[] {
  const mode = app.networks[0]?.mode ?? "host";
  if (mode === "host") return app.portDefinitions.map((p) => p.port).filter((p) => p !== 0);
  return (app.container?.portMappings ?? []).map((m) => m.servicePort).filter((p) => p !== 0);
}

/** Returns the app with every 0 service port replaced by a free one; `used` is updated. */
export function assignServicePorts(app: AppDefinition, used: Set<number>, range: { min: number; max: number }): AppDefinition {
  let cursor = range.min;
  const next = (): number => {
    while (cursor <= range.max && used.has(cursor)) cursor++;
    if (cursor > range.max) throw new Error(`no free service port left in ${range.min}-${range.max}`);
    used.add(cursor);
    return cursor;
  };
  const mode = app.networks[0]?.mode ?? "host";
  if (mode === "host") {
    if (app.requirePorts) return app;
    return { ...app, portDefinitions: app.portDefinitions.map((p) => (p.port === 0 ? { ...p, port: next() } : p)) };
  }
  if (!app.container?.portMappings) return app;
  return { ...app, container: { ...app.container, portMappings: app.container.portMappings.map((m) => (m.servicePort === 0 ? { ...m, servicePort: next() } : m)) } };
}
