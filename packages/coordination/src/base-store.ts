/**
 * The JSON helpers every Store offers, written once on top of the primitives (get / put), so that
 * both implementations behave the same way on bad data and on compare-and-set conflicts.
 */
import { CaravelError, describeZodError, isCaravelError } from "@caravel/api";
import type { z } from "zod";
import type {
  CreateOptions,
  DeleteOptions,
  JsonNode,
  NodeData,
  NodeEvent,
  PutOptions,
  Store,
  Unsubscribe,
  UpdateJsonOptions,
} from "./store.js";

/** Decodes a node's bytes as JSON, naming the path when they do not parse or do not fit the schema. */
export function decodeJson<T>(path: string, data: Buffer, schema?: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch (error) {
    throw new CaravelError(
      "INTERNAL",
      `store node ${path} does not hold valid JSON (${(error as Error).message}); fix or delete the node`,
      {
        path,
      },
    );
  }
  if (schema === undefined) return value as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CaravelError(
      "INTERNAL",
      `store node ${path} holds JSON of the wrong shape: ${describeZodError(parsed.error)}; fix or delete the node`,
      {
        path,
      },
    );
  }
  return parsed.data;
}

/** Encodes a value as compact JSON; refuses values JSON cannot represent. */
export function encodeJson(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (text === undefined)
    throw new CaravelError(
      "INVALID_REQUEST",
      "value cannot be stored as JSON (undefined, a function or a symbol)",
      { path: "value" },
    );
  return Buffer.from(text, "utf8");
}

/** Implements the JSON helpers; subclasses implement the primitives. */
export abstract class BaseStore implements Store {
  abstract readonly kind: "file" | "zk";
  abstract get(path: string): Promise<NodeData | undefined>;
  abstract put(path: string, data: Buffer, options?: PutOptions): Promise<number>;
  abstract create(path: string, data: Buffer, options?: CreateOptions): Promise<string>;
  abstract delete(path: string, options?: DeleteOptions): Promise<boolean>;
  abstract children(path: string): Promise<string[]>;
  abstract watch(path: string, listener: (event: NodeEvent) => void): Promise<Unsubscribe>;
  abstract watchChildren(path: string, listener: (children: string[]) => void): Promise<Unsubscribe>;
  abstract onSessionLost(listener: (reason: string) => void): Unsubscribe;
  abstract close(): Promise<void>;

  async getJson<T = unknown>(path: string, schema?: z.ZodType<T>): Promise<JsonNode<T> | undefined> {
    const node = await this.get(path);
    return node === undefined
      ? undefined
      : { value: decodeJson(path, node.data, schema), version: node.version };
  }

  putJson(path: string, value: unknown, options?: PutOptions): Promise<number> {
    return this.put(path, encodeJson(value), options);
  }

  async updateJson<T>(
    path: string,
    fn: (current: T | undefined) => T | undefined,
    options: UpdateJsonOptions<T> = {},
  ): Promise<JsonNode<T> | undefined> {
    const maxAttempts = options.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      const current = await this.getJson<T>(path, options.schema);
      const next = fn(current?.value);
      if (next === undefined) return current;
      try {
        // -1 (create-only) when missing, so that two creators cannot both win.
        const version = await this.putJson(path, next, { expectedVersion: current?.version ?? -1 });
        return { value: next, version };
      } catch (error) {
        const conflict =
          isCaravelError(error, "STORE_VERSION_MISMATCH") ||
          isCaravelError(error, "STORE_NODE_EXISTS") ||
          isCaravelError(error, "STORE_NO_NODE");
        if (!conflict || attempt >= maxAttempts) {
          if (conflict) {
            throw new CaravelError(
              "STORE_VERSION_MISMATCH",
              `gave up updating ${path} after ${attempt} conflicting writes; retry later`,
              { path, cause: error },
            );
          }
          throw error;
        }
      }
    }
  }
}
