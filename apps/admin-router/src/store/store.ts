/**
 * The slice of the coordination Store (packages/coordination) that the admin router uses. It is a
 * structural subset of `Store`, so the coordination stores plug in unchanged (`--zk` uses ZooKeeper).
 * The default, `createDirStore` below, keeps one file per node: unlike the coordination file store,
 * which locks its directory to one process, several router processes (--workers) can share it.
 */
import { mkdir, open, readFile, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { CaravelError } from "@caravel/api";

export interface RouterStore {
  getJson<T = unknown>(path: string): Promise<{ value: T; version: number } | undefined>;
  /** With `expectedVersion`, a compare-and-set (STORE_VERSION_MISMATCH when someone wrote first). */
  putJson(path: string, value: unknown, options?: { expectedVersion?: number }): Promise<number>;
  /** With `sequential`, appends a 10-digit counter to the name and returns the actual path. */
  create(path: string, data: Buffer, options?: { sequential?: boolean }): Promise<string>;
  children(path: string): Promise<string[]>;
  get(path: string): Promise<{ data: Buffer; version: number } | undefined>;
}

interface NodeFile {
  version: number;
  data: string;
}

/** A node per file under `dir` (`/a/b` → `dir/a/b.node`); writes are atomic (temp, fsync, rename). */
export async function createDirStore(dir: string): Promise<RouterStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (path: string) => join(dir, ...segments(path)) + ".node";
  const sequences = new Map<string, number>();
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const read = async (path: string): Promise<NodeFile | undefined> => {
    try {
      return JSON.parse(await readFile(file(path), "utf8")) as NodeFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new CaravelError("STORE_UNAVAILABLE", `cannot read store node ${path}: ${(error as Error).message}`);
    }
  };
  const write = async (path: string, node: NodeFile): Promise<void> => {
    const target = file(path);
    await mkdir(join(target, ".."), { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.tmp`;
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(node));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  };
  const children = async (path: string): Promise<string[]> => {
    try {
      const names = await readdir(join(dir, ...segments(path)));
      return [...new Set(names.filter((n) => n.endsWith(".node")).map((n) => n.slice(0, -5)))].sort();
    } catch {
      return [];
    }
  };

  return {
    async get(path) {
      const node = await read(path);
      return node && { data: Buffer.from(node.data, "base64"), version: node.version };
    },
    async getJson<T>(path: string) {
      const node = await read(path);
      return node && { value: JSON.parse(Buffer.from(node.data, "base64").toString("utf8")) as T, version: node.version };
    },
    putJson: (path, value, options = {}) =>
      serial(async () => {
        const current = await read(path);
        if (options.expectedVersion !== undefined && (current?.version ?? -1) !== options.expectedVersion) {
          throw new CaravelError("STORE_VERSION_MISMATCH", `store node ${path} changed since it was read; read it again and retry`);
        }
        const version = current ? current.version + 1 : 0;
        await write(path, { version, data: Buffer.from(JSON.stringify(value)).toString("base64") });
        return version;
      }),
    create: (path, data, options = {}) =>
      serial(async () => {
        let actual = path;
        if (options.sequential) {
          const parent = path.slice(0, path.lastIndexOf("/")) || "/";
          let next = sequences.get(parent);
          if (next === undefined) next = (await children(parent)).map((n) => Number(n.slice(-10))).filter(Number.isFinite).reduce((a, b) => Math.max(a, b + 1), 0);
          sequences.set(parent, next + 1);
          actual = path + String(next).padStart(10, "0");
        } else if (await read(path)) {
          throw new CaravelError("STORE_NODE_EXISTS", `store node ${path} already exists`);
        }
        await write(actual, { version: 0, data: data.toString("base64") });
        return actual;
      }),
    children,
  };
}

function segments(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === "." || p === ".." || p.includes("\\"))) throw new CaravelError("INVALID_REQUEST", `store path ${path} must not contain . or .. segments`);
  return parts;
}
