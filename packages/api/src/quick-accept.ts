/**
 * A quick check compiled from a zod schema: true only when the schema accepts the value; false means
 * "not sure", and the schema itself decides (with errors that name the field).
 *
 * zod builds an output object for every object it validates. After a master failover 10,000 agents
 * report 100,000 tasks at once, and validating them took more CPU than parsing their JSON; where
 * only their validity is needed (their details are read later, through the schema), this check does
 * the same in a fraction of the time. It follows the schema's definition for the kinds below and hands
 * any other part (refinements, transforms, formats, other checks) to the schema, so it never accepts
 * what the schema rejects. Values are plain JSON (JSON.parse's output): a getter could answer the
 * check and the schema differently.
 */
import type { z } from "zod";

type Check = (value: unknown) => boolean;

const compiled = new WeakMap<z.ZodType, Check>();

export function quickAccept(schema: z.ZodType): Check {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = compile(schema)));
  return check;
}

/** The parts of zod's schemas read here (zod 4's `_zod`). */
interface Internals {
  def: Def;
  traits: Set<string>;
  /** Whether an absent key is allowed: "optional" or "defaulted"; undefined when it is not. */
  optin?: string;
  /** The values an enum or literal allows. */
  values?: Set<unknown>;
}
interface Def {
  type: string;
  format?: string;
  inclusive?: boolean;
  discriminator?: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: RegExp;
}

const internals = (schema: z.ZodType): Internals => (schema as unknown as { _zod: Internals })._zod;

/** Code points in a string, as zod's length checks count them (a surrogate pair is one). */
function codePoints(s: string): number {
  let count = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

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
    const { def, traits, values } = internals(part);
    const checked = (def.checks?.length ?? 0) > 0;
    // A schema that is itself a check (z.int(), z.email(), …) or a variant with rules of its own.
    if (traits.has("$ZodCheck") || def.format !== undefined || traits.has("$ZodExactOptional")) return bySchema(part);
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
        return stringBody(def.checks ?? [], external(codePoints), external) ?? bySchema(part);
      case "number":
        return numberBody(def.checks ?? []) ?? bySchema(part);
      case "enum":
      case "literal":
        return values ? `return ${external(values)}.has(v);` : bySchema(part);
      case "array":
        if (checked) return bySchema(part);
        return `if (!Array.isArray(v)) return false; for (let i = 0; i < v.length; i++) if (!${fn(def.element!)}(v[i])) return false; return true;`;
      case "object": {
        if (def.catchall || checked || Object.getOwnPropertySymbols(def.shape!).length > 0) return bySchema(part);
        // A key whose schema does not allow it absent must be there (zod asks `key in value`).
        const fields = Object.entries(def.shape!).map(([key, field]) => {
          const name = JSON.stringify(key);
          const present = internals(field).optin === undefined ? `${name} in v && ` : "";
          return `${present}${fn(field)}(v[${name}])`;
        });
        return `if (typeof v !== "object" || v === null || Array.isArray(v)) return false; return ${["true", ...fields].join(" && ")};`;
      }
      case "union":
        // Exclusive (z.xor) and discriminated unions have rules of their own.
        if (checked || def.inclusive === false || def.discriminator !== undefined) return bySchema(part);
        return `return ${def.options!.map((option) => `${fn(option)}(v)`).join(" || ")};`;
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

/** Length checks count code points: UTF-16 units decide unless they are between one and two per point. */
function stringBody(checks: Array<{ _zod: { def: CheckDef } }>, codePoints: string, external: (value: unknown) => string): string | undefined {
  const tests = [`typeof v === "string"`];
  for (const { _zod } of checks) {
    const c = _zod.def;
    if (c.check === "min_length") tests.push(`v.length >= ${c.minimum!} && (v.length >= ${2 * c.minimum!} || ${codePoints}(v) >= ${c.minimum!})`);
    else if (c.check === "max_length") tests.push(`(v.length <= ${c.maximum!} || ${codePoints}(v) <= ${c.maximum!})`);
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
