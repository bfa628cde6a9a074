import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { TaskState } from "@caravel/api";
import { makeApp, makeInstance } from "../test-helpers.js";
import { appInfoBytes, appInfoJson, appInfoView, taskJson, taskView } from "./views.js";
import type { Instance } from "../instances/instance.js";

const STATES: TaskState[] = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE", "TASK_FINISHED"];

/** One change an instance can go through between two requests (as the core makes them). */
const change = fc.oneof(
  fc.record({ state: fc.constantFrom(...STATES) }),
  fc.record({ healthy: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({ startedAt: fc.integer({ min: 0, max: 1e12 }) }),
  fc.record({ goal: fc.constantFrom("running" as const, "stopped" as const) }),
  fc.record({ ipAddresses: fc.constant([{ ipAddress: "10.0.0.9", protocol: "IPv4" as const }]) }),
);

describe("cached JSON views", () => {
  it("render byte for byte what JSON.stringify of the object views renders, across changes (property)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(5), change), { maxLength: 30 }),
        (withHealthChecks, embedTasks, changes) => {
          const app = makeApp(withHealthChecks ? { healthChecks: [{ protocol: "COMMAND", command: { value: "true" } }] } : {});
          const instances: Instance[] = Array.from({ length: 6 }, (_, n) => makeInstance({ state: STATES[n % STATES.length]!, ...(n % 2 ? { healthy: n % 3 === 0 } : {}) }));
          const options = (failure: boolean) => ({ instances, deployments: ["d1"], embedTasks, ...(failure ? { lastTaskFailure: { appId: "/web", host: "h", message: "m", state: "TASK_FAILED", taskId: "t", timestamp: "x", version: "v1", slaveId: "a" } } : {}) });
          expect(appInfoJson(app, options(false))).toBe(JSON.stringify(appInfoView(app, options(false))));
          for (const [index, fields] of changes) {
            Object.assign(instances[index]!, fields);
            expect(appInfoJson(app, options(index % 2 === 0))).toBe(JSON.stringify(appInfoView(app, options(index % 2 === 0))));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("re-renders a task whose array was changed in place", () => {
    const i = makeInstance({ ports: [31000] });
    expect(taskJson(i)).toBe(JSON.stringify(taskView(i)));
    i.ports.push(31001);
    expect(JSON.parse(taskJson(i)).ports).toEqual([31000, 31001]);
  });

  it("falls back to the object view for a definition that carries a field the view adds", () => {
    const app = { ...makeApp(), tasksRunning: 99 } as ReturnType<typeof makeApp>;
    const o = { instances: [makeInstance()], deployments: [], embedTasks: true };
    expect(appInfoJson(app, o)).toBe(JSON.stringify(appInfoView(app, o)));
  });
});

describe("cached AppInfo bytes", () => {
  it("are the UTF-8 of the object view, and follow changes of tasks, counts and failures", () => {
    const app = makeApp({ labels: { note: "ünïcode ✓" } });
    const instances = [makeInstance(), makeInstance({ state: "TASK_STAGING" })];
    const o = (extra: object = {}) => ({ instances, deployments: [] as string[], embedTasks: true, ...extra });
    const check = (extra?: object) => expect(appInfoBytes(app, o(extra)).toString("utf8")).toBe(JSON.stringify(appInfoView(app, o(extra))));
    check();
    const first = appInfoBytes(app, o());
    expect(appInfoBytes(app, o())).toBe(first); // unchanged: the very same bytes
    instances[1]!.state = "TASK_RUNNING";
    check();
    check({ deployments: ["d9"] });
    check({ lastTaskFailure: { appId: "/web", host: "h", message: "m", state: "TASK_FAILED", taskId: "t", timestamp: "x", version: "v1", slaveId: "a" } });
    instances.pop();
    check();
  });
});
