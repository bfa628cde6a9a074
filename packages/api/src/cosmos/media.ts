/**
 * Cosmos' versioned media types (`application/vnd.dcos.<ns>.<kind>+json;charset=utf-8;version=vN`)
 * and content negotiation over comma-separated Accept lists with per-type parameters.
 */

/** One parsed media range: `type/subtype` lower-cased, its parameters, and its q weight. */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

/** Builds a Cosmos media type string, e.g. `cosmosType("package", "search-response", 1)`. */
export function cosmosType(ns: "package" | "service", kind: string, version: number): string {
  return `application/vnd.dcos.${ns}.${kind}+json;charset=utf-8;version=v${version}`;
}

export const COSMOS_ERROR_TYPE = cosmosType("package", "error", 1);
export const CAPABILITIES_TYPE = "application/vnd.dcos.capabilities+json;charset=utf-8;version=v1";

/** Splits on a separator outside double quotes (parameter values may be quoted and contain commas). */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** Parses one media type with parameters; parameter names lower-case, quotes removed. */
export function parseMediaType(text: string): MediaRange | undefined {
  const [head, ...rest] = splitOutsideQuotes(text, ";");
  const type = (head ?? "").trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/.test(type)) return undefined;
  const params: Record<string, string> = {};
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name === "q") {
      const n = Number(value);
      q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 1;
    } else params[name] = name === "charset" ? value.toLowerCase() : value;
  }
  return { type, params, q };
}

/** Parses an Accept header into its ranges (invalid entries dropped), highest q first, stable. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || !header.trim()) return [];
  return splitOutsideQuotes(header, ",")
    .map((s) => parseMediaType(s))
    .filter((r): r is MediaRange => r !== undefined && r.q > 0)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || a.i - b.i)
    .map(({ r }) => r);
}

function rangeMatches(range: MediaRange, offered: MediaRange): boolean {
  const [rt, rs] = range.type.split("/");
  const [ot, os] = offered.type.split("/");
  if (rt !== "*" && rt !== ot) return false;
  if (rs !== "*" && rs !== os) return false;
  for (const [k, v] of Object.entries(range.params)) {
    if (k === "charset" && v === "utf-8") continue;
    if (offered.params[k] !== v) return false;
  }
  return true;
}

/**
 * Picks the response type: the first offered type (in server preference order) matched by the
 * highest-weighted Accept range. A missing or empty Accept takes the server's first choice, as
 * curl users expect; undefined means 406.
 */
export function negotiate(acceptHeader: string | undefined, offered: readonly string[]): string | undefined {
  const ranges = parseAccept(acceptHeader);
  if (!acceptHeader || !acceptHeader.trim()) return offered[0];
  const parsedOffers = offered.map((o) => ({ o, m: parseMediaType(o)! }));
  for (const range of ranges) {
    const hit = parsedOffers.find(({ m }) => rangeMatches(range, m));
    if (hit) return hit.o;
  }
  return undefined;
}

/** True when a request Content-Type is acceptable for `expected` (a version, if sent, must match). */
export function contentTypeMatches(header: string | undefined, expected: string): boolean {
  if (!header || !header.trim()) return true;
  const got = parseMediaType(header);
  const want = parseMediaType(expected)!;
  if (!got) return false;
  if (got.type === "application/json") return true;
  if (got.type !== want.type) return false;
  return got.params.version === undefined || got.params.version === want.params.version;
}
