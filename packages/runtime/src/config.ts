/**
 * Process configuration, read once: schema defaults, then a JSON file (`--config path`), then
 * environment variables `CARAVEL_<FLAG>` (upper case), then command-line flags `--flag=value` or
 * `--flag value`. Validated with the process's zod schema and frozen. Flags keep Mesos' and
 * Marathon's snake_case names; dashes are accepted too (`--work-dir` = `--work_dir`).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodError } from "@caravel/api";

export interface ConfigSource {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses `--a=1 --b 2 --flag` into `{ a: "1", b: "2", flag: "true" }`; positional words go to `_`. */
export function parseArgv(argv: readonly string[]): { flags: Record<string, string>; positional: string[] } {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf("=");
    const name = (eq === -1 ? body : body.slice(0, eq)).replace(/-/g, "_");
    if (eq !== -1) flags[name] = body.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) flags[name] = argv[++i]!;
    else flags[name] = name.startsWith("no_") ? "false" : "true";
    if (name.startsWith("no_") && eq === -1 && flags[name] === "false") {
      delete flags[name];
      flags[name.slice(3)] = "false";
    }
  }
  return { flags, positional };
}

/** Coerces a string from env/argv into the shape the schema's field expects. */
function coerce(value: string): unknown {
  if (value === "true") return true;
  if (value === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * Loads a config object for `schema` (a z.object whose fields all have defaults or are optional).
 * Throws ConfigError naming the offending setting.
 */
export function loadConfig<T extends z.ZodObject>(schema: T, source: ConfigSource = {}): Readonly<z.output<T>> {
  const argv = source.argv ?? process.argv.slice(2);
  const env = source.env ?? process.env;
  const { flags } = parseArgv(argv);
  const keys = Object.keys(schema.shape);
  const merged: Record<string, unknown> = {};

  const file = flags["config"] ?? env["CARAVEL_CONFIG"];
  if (file) {
    try {
      Object.assign(merged, JSON.parse(readFileSync(file, "utf8")));
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
  }
  for (const key of keys) {
    const value = env[`CARAVEL_${key.toUpperCase()}`];
    if (value !== undefined) merged[key] = coerce(value);
  }
  for (const [name, value] of Object.entries(flags)) {
    if (name === "config") continue;
    if (!keys.includes(name)) throw new ConfigError(`unknown flag --${name}; see --help for the flags this program takes`);
    merged[name] = coerce(value);
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error).replace(/(^|; )(\w+):/g, "$1--$2:")}`);
  return Object.freeze(parsed.data);
}

/** `--help` text from the schema's field descriptions and defaults. */
export function helpText(program: string, summary: string, schema: z.ZodObject): string {
  const lines = [`Usage: ${program} [--flag=value ...]`, "", summary, "", "Flags (also CARAVEL_<FLAG> or a JSON --config file):"];
  for (const [name, field] of Object.entries(schema.shape)) {
    const description = (field as z.ZodType).description ?? "";
    let def = "";
    try {
      const probe = (field as z.ZodType).safeParse(undefined);
      if (probe.success && probe.data !== undefined) def = ` (default: ${JSON.stringify(probe.data)})`;
    } catch {
      // fields without a default
    }
    lines.push(`  --${name.padEnd(28)} ${description}${def}`);
  }
  return lines.join("\n");
}

/** Stringy flag values that are numbers, e.g. "--port 0", arrive as numbers; this helper accepts both. */
export const port = z.coerce.number().int().min(0).max(65535);
export const seconds = z.coerce.number().min(0);
