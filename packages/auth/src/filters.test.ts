import { describe, expect, it } from "vitest";
import { appIdOfSandboxPath, appIdOfTaskId, filterMarathonApps, filterMarathonDeployments, filterMarathonGroup, filterMesosState, mayReadEvent } from "./filters.js";
import type { Identity } from "./permissions.js";

const teamA: Identity = { uid: "a", superuser: false, grants: [{ rid: "caravel:service:/team-a", actions: ["full"] }] };
const U = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("permission filters", () => {
  it("keeps only readable Marathon apps, groups and deployments", () => {
    const apps = { apps: [{ id: "/team-a/web" }, { id: "/team-b/web" }, { id: "/team-ab" }] };
    expect(filterMarathonApps(teamA, apps)).toEqual({ apps: [{ id: "/team-a/web" }] });
    const root = { id: "/", apps: [{ id: "/top" }], groups: [{ id: "/team-a", apps: [{ id: "/team-a/web" }], groups: [] }, { id: "/team-b", apps: [{ id: "/team-b/x" }], groups: [] }] };
    expect(filterMarathonGroup(teamA, root)).toEqual({ id: "/", apps: [], groups: [{ id: "/team-a", apps: [{ id: "/team-a/web" }], groups: [] }] });
    expect(filterMarathonDeployments(teamA, [{ affectedApps: ["/team-a/x"] }, { affectedApps: ["/team-a/x", "/team-b/y"] }])).toEqual([{ affectedApps: ["/team-a/x"] }]);
  });

  it("decodes Marathon task ids and sandbox paths into app ids", () => {
    expect(appIdOfTaskId(`team-a_web.${U}`)).toBe("/team-a/web");
    expect(appIdOfTaskId(`team-a_web.instance-${U}._app.1`)).toBe("/team-a/web");
    expect(appIdOfTaskId("not-marathon")).toBeUndefined();
    expect(appIdOfSandboxPath(`/var/lib/s/frameworks/f/executors/team-b_db.${U}/runs/latest/stdout`)).toBe("/team-b/db");
  });

  it("filters Mesos state: Marathon tasks per app, other frameworks as services", () => {
    const state = {
      frameworks: [
        { id: "m", name: "marathon", tasks: [{ id: `team-a_web.${U}`, framework_id: "m" }, { id: `team-b_db.${U}`, framework_id: "m" }], completed_tasks: [{ id: `team-b_db.${U}` }] },
        { id: "k", name: "kafka", tasks: [{ id: "broker-0" }] },
      ],
      tasks: [{ id: `team-b_db.${U}`, framework_id: "m" }, { id: `team-a_web.${U}`, framework_id: "m" }],
      slaves: [{ id: "s1" }],
    };
    const out = filterMesosState(teamA, state) as typeof state;
    expect(out.frameworks.map((f) => f.name)).toEqual(["marathon"]);
    expect(out.frameworks[0]!.tasks).toEqual([{ id: `team-a_web.${U}`, framework_id: "m" }]);
    expect(out.frameworks[0]!.completed_tasks).toEqual([]);
    expect(out.tasks).toEqual([{ id: `team-a_web.${U}`, framework_id: "m" }]);
    expect(out.slaves).toEqual([{ id: "s1" }]);
    const admin: Identity = { uid: "x", superuser: true, grants: [] };
    expect(filterMesosState(admin, state)).toBe(state);
  });

  it("hides Marathon events about apps the identity may not read", () => {
    expect(mayReadEvent(teamA, { eventType: "status_update_event", appId: "/team-a/web" })).toBe(true);
    expect(mayReadEvent(teamA, { eventType: "status_update_event", appId: "/team-b/web" })).toBe(false);
    expect(mayReadEvent(teamA, { eventType: "api_post_event", appDefinition: { id: "/team-b/x" } })).toBe(false);
    expect(mayReadEvent(teamA, { eventType: "deployment_info", plan: { steps: [{ actions: [{ app: "/team-a/x" }, { app: "/team-b/y" }] }] } })).toBe(false);
    expect(mayReadEvent(teamA, { eventType: "event_stream_attached" })).toBe(true);
    expect(mayReadEvent(teamA, { eventType: "instance_changed_event", runSpecId: "/team-b/db", instanceId: `team-b_db.instance-${U}` })).toBe(false);
    expect(mayReadEvent(teamA, { eventType: "instance_health_changed_event", instanceId: `team-b_db.instance-${U}` })).toBe(false);
    expect(mayReadEvent(teamA, { eventType: "instance_changed_event", runSpecId: "/team-a/web", instanceId: `team-a_web.instance-${U}` })).toBe(true);
    expect(mayReadEvent(teamA, { eventType: "group_change_success", groupId: "/team-b" })).toBe(false);
    expect(mayReadEvent(teamA, { eventType: "group_change_success", groupId: "/" })).toBe(true);
  });
});
