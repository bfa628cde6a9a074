/**
 * Parsing of ZooKeeper connection URLs as Mesos and Marathon take them:
 * `zk://host1:2181,host2:2181/chroot` and `zk://user:pass@hosts/chroot` (digest auth).
 */
import { CaravelError } from "@caravel/api";
import { validatePath } from "../paths.js";

export interface ZkUrl {
  /** "host:port,host:port" for the client (without the chroot, which Caravel applies itself). */
  readonly connectString: string;
  readonly hosts: ReadonlyArray<{ host: string; port: number }>;
  /** Absolute path every store path lives under; "/" for none. */
  readonly chroot: string;
  /** "user:password" for digest auth, when given. */
  readonly auth: string | undefined;
}

const fail = (url: string, why: string): never => {
  throw new CaravelError(
    "INVALID_REQUEST",
    `ZooKeeper URL ${JSON.stringify(url)} is invalid: ${why}; expected zk://host1:2181,host2:2181/path`,
    {
      path: "zk",
    },
  );
};

/** Parses a `zk://` URL; throws INVALID_REQUEST naming what is wrong. */
export function parseZkUrl(url: string): ZkUrl {
  if (!url.startsWith("zk://")) return fail(url, 'it must start with "zk://"');
  let rest = url.slice("zk://".length);
  let auth: string | undefined;
  const at = rest.lastIndexOf("@", rest.indexOf("/") === -1 ? rest.length : rest.indexOf("/"));
  if (at >= 0) {
    auth = decodeURIComponent(rest.slice(0, at));
    rest = rest.slice(at + 1);
    if (!/^[^:]+:.*$/.test(auth)) return fail(url, "credentials must be user:password");
  }
  const slash = rest.indexOf("/");
  const hostPart = slash === -1 ? rest : rest.slice(0, slash);
  const rawChroot = slash === -1 ? "/" : rest.slice(slash);
  const chroot = rawChroot.length > 1 && rawChroot.endsWith("/") ? rawChroot.slice(0, -1) : rawChroot;
  if (hostPart === "") return fail(url, "it names no host");
  const hosts = hostPart.split(",").map((entry) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry);
    if (!match) return fail(url, `host ${JSON.stringify(entry)} is not host or host:port`);
    const port = match[2] === undefined ? 2181 : Number(match[2]);
    if (port < 1 || port > 65535) return fail(url, `port ${port} of ${entry} is out of range`);
    return { host: match[1] ?? "", port };
  });
  try {
    validatePath(chroot, "zk");
  } catch {
    return fail(url, `the path ${JSON.stringify(chroot)} is not a valid absolute path`);
  }
  return { connectString: hosts.map((h) => `${h.host}:${h.port}`).join(","), hosts, chroot, auth };
}

/** Prefixes a store path with the chroot. */
export function toZkPath(chroot: string, path: string): string {
  if (chroot === "/") return path;
  return path === "/" ? chroot : chroot + path;
}

/** Strips the chroot from a path ZooKeeper returned. */
export function fromZkPath(chroot: string, path: string): string {
  if (chroot === "/") return path;
  const rest = path.slice(chroot.length);
  return rest === "" ? "/" : rest;
}
