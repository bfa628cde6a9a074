/** caravel-universe's flags. */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { port } from "@caravel/runtime";

/** The built-in offline repository shipped in the workspace (top-level universe/repo). */
export const BUILTIN_REPOSITORY_DIR = fileURLToPath(new URL("../../../universe/repo", import.meta.url));
export const DEFAULT_REPOSITORIES = [{ name: "Caravel", uri: `file://${BUILTIN_REPOSITORY_DIR}` }];

const repositoriesFlag = z
  .string()
  .transform((text, ctx) => {
    try {
      const list = z.array(z.object({ name: z.string().min(1), uri: z.string().min(1) })).parse(JSON.parse(text));
      return list;
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `must be a JSON list like [{"name":"Caravel","uri":"file:///dir"}] (${(error as Error).message.slice(0, 200)})` });
      return z.NEVER;
    }
  });

export const UniverseConfig = z.object({
  port: port.default(7070).describe("HTTP port"),
  ip: z.string().default("127.0.0.1").describe("address to listen on"),
  marathon: z.string().default("http://127.0.0.1:8080").describe("Marathon URL apps are installed into"),
  master: z.string().default("http://127.0.0.1:5050").describe("Mesos master URL, or a comma-separated list of them (framework teardown at uninstall)"),
  work_dir: z.string().default("/tmp/caravel-universe").describe("directory of the embedded store (ignored with --zk)"),
  zk: z.string().optional().describe("ZooKeeper URL for state, e.g. zk://127.0.0.1:2181/universe"),
  repositories: repositoriesFlag.optional().describe("JSON list of {name, uri} used until repositories are changed through the API (default: the built-in repository)"),
  repository_refresh: z.coerce.number().min(1).default(300).describe("seconds after which repositories are re-read in the background (requests keep using the previous catalog meanwhile)"),
  repository_retry: z.coerce.number().min(0.01).default(15).describe("seconds after which a repository that failed as a whole (unreachable, 404, invalid JSON) is tried again"),
  uninstall_timeout: z.coerce.number().min(1).default(60).describe("seconds uninstall waits for Marathon to remove an app"),
  log_level: z.string().default("info").describe("pino log level"),
});
export type UniverseConfig = z.output<typeof UniverseConfig>;
