/**
 * Request-target hygiene before routing. Node's URL parser would quietly resolve `..`, so the raw
 * target is checked first: dot segments (plain or percent-encoded), backslashes, NUL and control
 * characters are refused, and under /agent/ and /service/ encoded slashes too, so that no request
 * can climb out of the prefix it was authorised for.
 */
import { CaravelError } from "@caravel/api";

export interface Target {
  /** The raw path, as received (percent-encoding kept), without the query. */
  path: string;
  /** `?…` or "". */
  search: string;
  /** Decoded path segments. */
  segments: string[];
}

export function parseTarget(raw: string): Target {
  if (!raw.startsWith("/")) throw new CaravelError("INVALID_REQUEST", "request target must be a path starting with /; this is not a forward proxy");
  const q = raw.indexOf("?");
  const path = q === -1 ? raw : raw.slice(0, q);
  const search = q === -1 ? "" : raw.slice(q);
  const rawSegments = path.split("/").slice(1);
  // Fast path: nothing encoded, no backslash, no dot segment — the segments are the raw ones.
  if (/^[A-Za-z0-9\-_~!$&'()*+,;=:@/.]*$/.test(path) && !/\/\.\.?(\/|$)/.test(path)) return { path, search, segments: rawSegments };
  const segments: string[] = [];
  const strict = /^\/(agent|slave|service)\//.test(path);
  for (const seg of rawSegments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      throw new CaravelError("INVALID_REQUEST", `path segment ${JSON.stringify(seg)} has invalid percent-encoding`);
    }
    if (decoded === "." || decoded === "..") throw new CaravelError("INVALID_REQUEST", "path must not contain . or .. segments (path traversal is refused)");
    if (/[\\\u0000-\u001f\u007f]/.test(decoded)) throw new CaravelError("INVALID_REQUEST", "path must not contain backslashes or control characters");
    if (strict && decoded.includes("/")) throw new CaravelError("INVALID_REQUEST", "path under /agent/ and /service/ must not contain encoded slashes (%2F)");
    segments.push(decoded);
  }
  return { path, search, segments };
}
