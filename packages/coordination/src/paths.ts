/**
 * ZooKeeper-style paths ("/a/b"), shared by every Store implementation so that a path that works
 * with the embedded store also works with ZooKeeper, and the other way round.
 */
import { CaravelError } from "@caravel/api";

/** Largest node payload, in bytes. ZooKeeper refuses packets over ~1 MiB (jute.maxbuffer). */
export const MAX_DATA_BYTES = 1_000_000;

/** Number of digits ZooKeeper appends to a sequential node's name. */
export const SEQUENCE_DIGITS = 10;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/u;

/** Throws an INVALID_REQUEST naming the problem unless `path` is an absolute, normalised store path. */
export function validatePath(path: unknown, field = "path"): string {
  const fail = (why: string): never => {
    throw new CaravelError(
      "INVALID_REQUEST",
      `store path ${JSON.stringify(path)} is invalid: ${why}; use an absolute path such as "/marathon/apps"`,
      {
        path: field,
      },
    );
  };
  if (typeof path !== "string") return fail("it must be a string");
  if (!path.startsWith("/")) return fail('it must start with "/"');
  if (path === "/") return path;
  if (path.endsWith("/")) return fail('it must not end with "/"');
  for (const segment of path.slice(1).split("/")) {
    if (segment === "") return fail('it contains an empty segment ("//")');
    if (segment === "." || segment === "..") return fail(`it contains a relative segment "${segment}"`);
    if (CONTROL.test(segment)) return fail("it contains a control or reserved character");
  }
  return path;
}

/** Like `validatePath`, but also refuses the root, which can be neither created nor deleted. */
export function validateNodePath(path: unknown, field = "path"): string {
  const valid = validatePath(path, field);
  if (valid === "/") {
    throw new CaravelError(
      "INVALID_REQUEST",
      'the root "/" cannot be created or deleted; use a child path such as "/caravel"',
      { path: field },
    );
  }
  if (valid === "/zookeeper" || valid.startsWith("/zookeeper/")) {
    throw new CaravelError(
      "INVALID_REQUEST",
      'the "/zookeeper" subtree is reserved by ZooKeeper; pick another top-level name',
      { path: field },
    );
  }
  return valid;
}

/** Throws PAYLOAD_TOO_LARGE unless `data` fits in one node. */
export function validateData(data: unknown, field = "data"): Buffer {
  if (!Buffer.isBuffer(data))
    throw new CaravelError("INVALID_REQUEST", "node data must be a Buffer", { path: field });
  if (data.length > MAX_DATA_BYTES) {
    throw new CaravelError(
      "PAYLOAD_TOO_LARGE",
      `node data is ${data.length} bytes, over the ${MAX_DATA_BYTES}-byte limit; split it over several nodes`,
      {
        path: field,
        details: { bytes: data.length, limit: MAX_DATA_BYTES },
      },
    );
  }
  return data;
}

/** Validates an expected version: an integer ≥ 0, or -1 (create-only) where allowed. */
export function validateVersion(version: number | undefined, allowCreateOnly: boolean): number | undefined {
  if (version === undefined) return undefined;
  if (Number.isInteger(version) && (version >= 0 || (allowCreateOnly && version === -1))) return version;
  throw new CaravelError(
    "INVALID_REQUEST",
    `expectedVersion must be an integer >= 0${allowCreateOnly ? " or -1 (create only)" : ""}, got ${version}`,
    {
      path: "expectedVersion",
    },
  );
}

/** Parent of a non-root path ("/a/b" → "/a", "/a" → "/"). */
export function parentOf(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "/" : path.slice(0, at);
}

/** Last segment of a path ("/a/b" → "b"). */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Joins a parent and a child name. */
export function joinPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/** Ancestors of a path from the top down, without the root and without the path itself. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let at = path.indexOf("/", 1); at > 0; at = path.indexOf("/", at + 1)) out.push(path.slice(0, at));
  return out;
}

/** The 10-digit zero-padded suffix ZooKeeper gives sequential nodes. */
export function formatSequence(n: number): string {
  return String(n).padStart(SEQUENCE_DIGITS, "0");
}

/** Sequence number of a sequential node's name ("json.info_0000000042" → 42), or undefined. */
export function sequenceOf(name: string): number | undefined {
  const match = /(\d{10})$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
