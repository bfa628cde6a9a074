/**
 * What a request body touches: the Marathon app and group ids in app/group definitions (relative ids
 * resolved as Marathon does), the apps of killed tasks, and the kind of a Mesos operator call.
 * Pure; bad bodies throw INVALID_REQUEST naming the field.
 */
import { CaravelError, type Action } from "@caravel/api";
import { appIdOfTaskId, serviceResource } from "@caravel/auth";
import type { BodyKind, Check } from "./policy.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resolves a Marathon id against its parent group (`web` in `/team-a` → `/team-a/web`). */
export function resolveId(id: string, base: string, where: string): string {
  const joined = id.startsWith("/") ? id : `${base.replace(/\/+$/, "")}/${id}`;
  const parts = joined.split("/").filter((s) => s !== "");
  if (parts.some((p) => p === "." || p === "..")) throw new CaravelError("INVALID_REQUEST", `${where} must not contain . or .. segments; give the absolute id instead`, { path: where });
  return "/" + parts.join("/");
}

/** The checks a body adds. */
export function bodyChecks(kind: BodyKind, action: Action, body: unknown, base = "/"): Check[] {
  switch (kind) {
    case "marathon-apps": {
      const apps = Array.isArray(body) ? body : [body];
      return apps.map((app, i) => {
        const where = Array.isArray(body) ? `[${i}].id` : "id";
        if (!isObject(app)) throw new CaravelError("INVALID_REQUEST", `${Array.isArray(body) ? `[${i}]` : "body"} must be an app definition object`, { path: where });
        const id = app["id"];
        if (id === undefined && base !== "/") return { resource: serviceResource(base), action };
        if (typeof id !== "string" || id === "") throw new CaravelError("INVALID_REQUEST", `${where} is required: the app id, e.g. "/team-a/web"`, { path: where });
        return { resource: serviceResource(resolveId(id, "/", where)), action };
      });
    }
    case "marathon-groups": {
      const checks: Check[] = [];
      const walk = (group: unknown, parent: string, where: string) => {
        if (!isObject(group)) throw new CaravelError("INVALID_REQUEST", `${where || "body"} must be a group object`, { path: where || "(root)" });
        const id = typeof group["id"] === "string" && group["id"] !== "" ? resolveId(group["id"], parent, `${where}id`) : parent;
        checks.push({ resource: serviceResource(id), action });
        const apps = Array.isArray(group["apps"]) ? group["apps"] : [];
        apps.forEach((app, i) => {
          const appWhere = `${where}apps[${i}].id`;
          if (!isObject(app) || typeof app["id"] !== "string") throw new CaravelError("INVALID_REQUEST", `${appWhere} is required`, { path: appWhere });
          checks.push({ resource: serviceResource(resolveId(app["id"], id, appWhere)), action });
        });
        const groups = Array.isArray(group["groups"]) ? group["groups"] : [];
        groups.forEach((g, i) => walk(g, id, `${where}groups[${i}].`));
      };
      walk(body, base, "");
      return checks;
    }
    case "marathon-tasks-delete": {
      const ids = isObject(body) && Array.isArray(body["ids"]) ? body["ids"] : undefined;
      if (!ids) throw new CaravelError("INVALID_REQUEST", "ids is required: the task ids to kill", { path: "ids" });
      return ids.map((taskId, i) => {
        const appId = typeof taskId === "string" ? appIdOfTaskId(taskId) : undefined;
        if (!appId) throw new CaravelError("INVALID_REQUEST", `ids[${i}] is not a Marathon task id`, { path: `ids[${i}]` });
        return { resource: serviceResource(appId), action: "update" as const };
      });
    }
    case "mesos-operator": {
      const type = isObject(body) ? body["type"] : undefined;
      if (typeof type !== "string") throw new CaravelError("INVALID_REQUEST", "type is required: the operator call, e.g. GET_STATE", { path: "type" });
      const readOnly = type.startsWith("GET_") || type === "SUBSCRIBE" || type === "READ_FILE";
      return [{ resource: "caravel:mesos:master", action: readOnly ? "read" : "update" }];
    }
  }
}
