/**
 * Marathon's placement constraints `[field, OPERATOR, value?]` as pure checks against an agent's
 * attributes and the app's current spread (counts of instances per field value).
 */

/** Instances of one app per constraint field and value: `spread.get("hostname")?.get("a1")`. */
export type Spread = Map<string, Map<string, number>>;

/** Builds the spread of an app's placed instances over the fields its constraints mention. */
export function spreadOf(constraints: readonly (readonly string[])[], placed: readonly Record<string, string>[]): Spread {
  const spread: Spread = new Map();
  for (const c of constraints) if (c[0] && !spread.has(c[0])) spread.set(c[0], new Map());
  for (const attrs of placed) addToSpread(spread, attrs);
  return spread;
}

/** Records one more instance on an agent with `attrs`. */
export function addToSpread(spread: Spread, attrs: Record<string, string>): void {
  for (const [field, counts] of spread) {
    const value = attrs[field];
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
}

/** Rounds a scalar text the way Marathon compares attributes: half-even to 3 decimals. */
function scalarText(text: string): string | undefined {
  if (!/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  const n = Number(text) * 1000;
  const floor = Math.floor(n);
  const diff = n - floor;
  const rounded = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return String(rounded / 1000);
}

/**
 * Checks one constraint. Returns undefined when the agent is acceptable, else a sentence saying why not.
 * `knownValues` are values of the field seen on other agents (for GROUP_BY's evenness).
 */
export function constraintRejection(
  constraint: readonly string[],
  attrs: Record<string, string>,
  spread: Spread,
  knownValues: ReadonlySet<string> = new Set(),
): string | undefined {
  const [field = "", op = "", value] = constraint;
  const actual = attrs[field];
  const counts = spread.get(field) ?? new Map<string, number>();
  const here = actual === undefined ? 0 : (counts.get(actual) ?? 0);
  const show = `[${constraint.map((p) => JSON.stringify(p)).join(", ")}]`;
  if (actual === undefined) return op === "UNLIKE" ? undefined : `${show}: the agent has no attribute '${field}'`;
  switch (op) {
    case "UNIQUE":
      return here === 0 ? undefined : `${show}: an instance already runs where ${field}=${actual}`;
    case "CLUSTER": {
      if (value) return actual === value ? undefined : `${show}: ${field} is '${actual}', not '${value}'`;
      const pinned = [...counts].find(([, n]) => n > 0)?.[0];
      return pinned === undefined || pinned === actual ? undefined : `${show}: instances are pinned to ${field}=${pinned}, this agent has '${actual}'`;
    }
    case "GROUP_BY": {
      const expected = value ? Number(value) : 0;
      const values = new Set([...counts.keys(), ...knownValues, actual]);
      let min = Infinity;
      for (const v of values) min = Math.min(min, counts.get(v) ?? 0);
      if (values.size < expected) min = 0;
      return here <= min ? undefined : `${show}: ${field}=${actual} already has ${here} instance(s), others have ${min}`;
    }
    case "LIKE":
      return new RegExp(`^(?:${value ?? ""})$`).test(actual) ? undefined : `${show}: ${field} '${actual}' does not match /${value}/`;
    case "UNLIKE":
      return new RegExp(`^(?:${value ?? ""})$`).test(actual) ? `${show}: ${field} '${actual}' matches /${value}/` : undefined;
    case "MAX_PER": {
      const max = Number(value ?? 0);
      return here < max ? undefined : `${show}: ${field}=${actual} already has ${here} of at most ${max} instance(s)`;
    }
    case "IS": {
      if (actual === value) return undefined;
      const a = scalarText(actual);
      return a !== undefined && a === scalarText(value ?? "") ? undefined : `${show}: ${field} is '${actual}', not '${value}'`;
    }
    default:
      return `${show}: unknown operator ${op}`;
  }
}
