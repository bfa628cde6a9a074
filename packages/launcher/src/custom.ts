/**
 * `--components_file`: a JSON list of components replacing the built-in table, for tests (dummy
 * processes) and custom clusters. Arguments may use placeholders filled in per instance:
 * `{name}`, `{port}`, `{work_dir}`, `{host}`, `{resources}`, `{containerizers}`, `{port:<other>}`, `{url:<other>}`.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodError } from "@caravel/api";
import type { ComponentSpec, LaunchContext } from "./components.js";

const Entry = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "use lower-case letters, digits and dashes"),
  bin: z.string().min(1),
  role: z.string().default(""),
  args: z.array(z.string()).default([]),
  healthPath: z.string().startsWith("/").default("/health"),
  port: z.number().int().min(0).max(65535),
  instances: z.number().int().min(0).optional(),
  agent: z.boolean().default(false),
  after: z.array(z.string()).default([]),
  optional: z.boolean().default(false),
});
const File = z.array(Entry).min(1, "list at least one component");

function fill(template: string, ctx: LaunchContext, instance: string): string {
  return template.replace(/\{(\w+)(?::([\w-]+))?\}/g, (whole, key: string, other: string | undefined) => {
    switch (key) {
      case "name":
        return instance;
      case "port":
        return String(ctx.port(other ?? instance));
      case "url":
        return ctx.url(other ?? instance);
      case "work_dir":
        return ctx.workDir(other ?? instance);
      case "host":
        return ctx.host;
      case "resources":
        return ctx.resources(instance);
      case "containerizers":
        return ctx.containerizers;
      default:
        return whole;
    }
  });
}

/** Reads and validates a components file; errors name the file and the bad field. */
export function loadComponentsFile(path: string): ComponentSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`--components_file ${path}: ${(error as Error).message}`);
  }
  const parsed = File.safeParse(raw);
  if (!parsed.success) throw new Error(`--components_file ${path}: ${describeZodError(parsed.error)}`);
  return parsed.data.map((e) => ({
    name: e.name,
    bin: e.bin,
    role: e.role,
    healthPath: e.healthPath,
    port: e.port,
    after: e.after,
    optional: e.optional,
    agent: e.agent,
    ...(e.instances !== undefined ? { instances: () => e.instances! } : {}),
    args: (ctx, instance) => e.args.map((a) => fill(a, ctx, instance)),
  }));
}
