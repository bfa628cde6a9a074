/**
 * A quick check compiled from a zod schema: true only when the schema accepts the value; false means
 * "not sure", and the schema itself decides (with errors that name the field).
 *
 * zod builds an output object for every object it validates. After a master failover 10,000 agents
 * report 100,000 tasks at once, and validating them took more CPU than parsing their JSON; where
 * only their validity is needed (their details are read later, through the schema), this check does
 * the same in a fraction of the time. It follows the schema's definition for the kinds below and hands
 * any other part (refinements, transforms, other checks) to the schema, so it never accepts what the
 * schema rejects.
 */
import type { z } from "zod";

type Check = (value: unknown) => boolean;

const compiled = new WeakMap<z.ZodType, Check>();

export function quickAccept(schema: z.ZodType): Check {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = compile(schema)));
  return check;
}

/** The parts of zod's definitions read here (zod 4's `_zod.def`). */
interface Def {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  entries?: Record<string, string | number>;
  values?: unknown[];
  options?: z.ZodType[];
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: RegExp;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/**
 * Generates one function per schema (shared parts once), with each field read by its name, so that
 * every read site sees objects of one shape: several times faster than walking the definitions.
 */
function compile(schema: z.ZodType): Check {
  const names = new Map<z.ZodType, string>();
  const sources: string[] = [];
  const externals: unknown[] = [];
  const external = (value: unknown): string => `e[${externals.push(value) - 1}]`;
  const fn = (part: z.ZodType): string => {
    let name = names.get(part);
    if (!name) {
      names.set(part, (name = `c${names.size}`));
      sources.push(`function ${name}(v) { ${body(part)} }`);
    }
    return name;
  };
  const bySchema = (part: z.ZodType): string => `return ${external(part)}.safeParse(v).success;`;
  const body = (part: z.ZodType): string => {
    const def = defOf(part);
    const checked = (def.checks?.length ?? 0) > 0;
    switch (def.type) {
      case "unknown":
      case "any":
      case "catch": // a failing value becomes the catch value
        return "return true;";
      case "optional":
      case "default":
        return `return v === undefined || ${fn(def.innerType!)}(v);`;
      case "nullable":
        return `return v === null || ${fn(def.innerType!)}(v);`;
      case "boolean":
        return checked ? bySchema(part) : `return typeof v === "boolean";`;
      case "string":
        return stringBody(def.checks ?? [], external) ?? bySchema(part);
      case "number":
        return numberBody(def.checks ?? []) ?? bySchema(part);
      case "enum":
        return `return ${external(new Set(Object.values(def.entries!)))}.has(v);`;
      case "literal":
        return `return ${external(new Set(def.values))}.has(v);`;
      case "array":
        if (checked) return bySchema(part);
        return `if (!Array.isArray(v)) return false; for (let i = 0; i < v.length; i++) if (!${fn(def.element!)}(v[i])) return false; return true;`;
      case "object": {
        if (def.catchall || checked) return bySchema(part);
        const fields = Object.entries(def.shape!).map(([key, field]) => `${fn(field)}(v[${JSON.stringify(key)}])`);
        return `if (typeof v !== "object" || v === null || Array.isArray(v)) return false; return ${["true", ...fields].join(" && ")};`;
      }
      case "union":
        return checked ? bySchema(part) : `return ${def.options!.map((option) => `${fn(option)}(v)`).join(" || ")};`;
      default:
        return bySchema(part);
    }
  };
  const root = fn(schema);
  try {
    return new Function("e", `${sources.join("\n")}\nreturn ${root};`)(externals) as Check;
  } catch {
    return (value) => schema.safeParse(value).success; // code generation not allowed here
  }
}

function stringBody(checks: Array<{ _zod: { def: CheckDef } }>, external: (value: unknown) => string): string | undefined {
  const tests = [`typeof v === "string"`];
  for (const { _zod } of checks) {
    const c = _zod.def;
    if (c.check === "min_length") tests.push(`v.length >= ${c.minimum!}`);
    else if (c.check === "max_length") tests.push(`v.length <= ${c.maximum!}`);
    else if (c.check === "string_format" && c.format === "regex" && !c.pattern!.global && !c.pattern!.sticky) tests.push(`${external(c.pattern)}.test(v)`);
    else return undefined;
  }
  return `return ${tests.join(" && ")};`;
}

/** JSON numbers only: a numeric string a coercing schema would take is the schema's to judge. */
function numberBody(checks: Array<{ _zod: { def: CheckDef } }>): string | undefined {
  let integer = false;
  for (const { _zod } of checks) {
    if (_zod.def.check === "number_format" && _zod.def.format === "safeint") integer = true;
    else return undefined;
  }
  return `return typeof v === "number" && ${integer ? "Number.isSafeInteger(v)" : "Number.isFinite(v)"};`;
}
