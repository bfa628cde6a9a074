/**
 * Promise wrappers around node-zookeeper-client's callback API, translating its exceptions into
 * the error catalog with the store path (not the chrooted one) in the message.
 */
import zookeeper, { type Client, type Event, type Stat } from "node-zookeeper-client";
import { CaravelError, type ErrorCode } from "@caravel/api";

const { Exception } = zookeeper;

/** Maps a ZooKeeper exception to a CaravelError about `path`. */
export function toStoreError(error: unknown, path: string, version?: number): CaravelError {
  const code =
    typeof (error as { getCode?: unknown })?.getCode === "function"
      ? (error as { getCode(): number }).getCode()
      : undefined;
  const make = (c: ErrorCode, message: string): CaravelError =>
    new CaravelError(c, message, { path, cause: error });
  switch (code) {
    case Exception.NO_NODE:
      return make("STORE_NO_NODE", `store node ${path} (or its parent) does not exist`);
    case Exception.NODE_EXISTS:
      return make("STORE_NODE_EXISTS", `store node ${path} already exists`);
    case Exception.BAD_VERSION:
      return make(
        "STORE_VERSION_MISMATCH",
        `store node ${path} is not at version ${version ?? "?"}; read it again and retry`,
      );
    case Exception.NOT_EMPTY:
      return make("STORE_NOT_EMPTY", `store node ${path} has children; delete them first or pass recursive`);
    case Exception.NO_CHILDREN_FOR_EPHEMERALS:
      return make(
        "INVALID_REQUEST",
        `the parent of ${path} is ephemeral and cannot have children; put it elsewhere`,
      );
    case Exception.NO_AUTH:
    case Exception.AUTH_FAILED:
    case Exception.INVALID_ACL:
      return make(
        "FORBIDDEN",
        `ZooKeeper refused access to ${path}; check the user:password in the zk:// URL`,
      );
    case Exception.CONNECTION_LOSS:
    case Exception.SESSION_EXPIRED:
    case Exception.OPERATION_TIMEOUT:
      return make("STORE_UNAVAILABLE", `ZooKeeper connection lost during an operation on ${path}; retry`);
    default:
      if (error instanceof CaravelError) return error;
      return make(
        "STORE_UNAVAILABLE",
        `ZooKeeper failed on ${path}: ${String((error as Error)?.message ?? error)}`,
      );
  }
}

/** True when `error` is the ZooKeeper exception `code` (e.g. Exception.NO_NODE). */
export const isZkCode = (error: unknown, code: number): boolean =>
  typeof (error as { getCode?: unknown })?.getCode === "function" &&
  (error as { getCode(): number }).getCode() === code;

type Callback<T> = (error: Error | null | unknown, value: T) => void;

/** The raw operations on one client; callers translate errors. */
export const zk = {
  getData: (c: Client, path: string, watcher?: (e: Event) => void) =>
    call<{ data: Buffer; stat: Stat }>((cb) =>
      watcher
        ? c.getData(path, watcher, (e, data, stat) => cb(e, { data, stat }))
        : c.getData(path, (e, data, stat) => cb(e, { data, stat })),
    ),
  setData: (c: Client, path: string, data: Buffer, version: number) =>
    call<Stat>((cb) => c.setData(path, data, version, cb)),
  create: (c: Client, path: string, data: Buffer, acls: zookeeper.ACL[], mode: number) =>
    call<string>((cb) => c.create(path, data, acls, mode, cb)),
  mkdirp: (c: Client, path: string, acls: zookeeper.ACL[]) =>
    call<string>((cb) => c.mkdirp(path, acls, zookeeper.CreateMode.PERSISTENT, cb)),
  remove: (c: Client, path: string, version: number) =>
    call<void>((cb) => c.remove(path, version, (e) => cb(e, undefined))),
  getChildren: (c: Client, path: string, watcher?: (e: Event) => void) =>
    call<string[]>((cb) =>
      watcher
        ? c.getChildren(path, watcher, (e, children) => cb(e, children))
        : c.getChildren(path, (e, children) => cb(e, children)),
    ),
  exists: (c: Client, path: string, watcher?: (e: Event) => void) =>
    call<Stat | undefined>((cb) =>
      watcher
        ? c.exists(path, watcher, (e, stat) => cb(e, stat ?? undefined))
        : c.exists(path, (e, stat) => cb(e, stat ?? undefined)),
    ),
};

function call<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((error, value) => (error ? reject(error) : resolve(value)));
  });
}
