/**
 * The Cosmos RPC envelope: Content-Type check (415), Accept negotiation (406), body parsing with zod,
 * and errors written as `{type, message, data}` with the Cosmos error media type.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { COSMOS_ERROR_TYPE, contentTypeMatches, cosmosType, isCaravelError, negotiate } from "@caravel/api";
import { readBody, type Logger } from "@caravel/runtime";
import { CosmosError } from "../errors.js";

/** A response body already encoded (hot paths answer with bytes made once per catalog). */
export class RawJson {
  constructor(readonly bytes: Buffer) {}
}

/** Writes a JSON body with an explicit content type. */
export function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  const bytes = body instanceof RawJson ? body.bytes : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": contentType, "content-length": bytes.length });
  res.end(bytes);
}

/**
 * Negotiation results by (offered types, Accept, Content-Type): clients send the same few header
 * values over and over, so each combination is parsed once. Bounded, since headers are caller input.
 */
const negotiated = new Map<string, { chosen: string | undefined; contentOk: boolean }>();
const NEGOTIATED_MAX = 1024;

function negotiateOnce(offered: string[], requestType: string, accept: string | undefined, contentType: string | undefined) {
  const key = `${requestType}\u0000${accept ?? ""}\u0000${contentType ?? ""}`;
  let hit = negotiated.get(key);
  if (!hit) {
    hit = { chosen: negotiate(accept, offered), contentOk: contentTypeMatches(contentType, requestType) };
    if (negotiated.size >= NEGOTIATED_MAX) negotiated.clear();
    negotiated.set(key, hit);
  }
  return hit;
}

/** Maps any error to a Cosmos error reply; unknown errors become 500 and are logged. */
export function sendCosmosError(res: ServerResponse, error: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let err: CosmosError;
  if (error instanceof CosmosError) err = error;
  else if (isCaravelError(error)) {
    const type = error.code === "MALFORMED_JSON" ? "MalformedRequest" : error.code === "PAYLOAD_TOO_LARGE" ? "RequestTooLarge" : "CosmosError";
    err = new CosmosError(type, error.message, error.status);
  } else {
    log.error({ err: error }, "unhandled error");
    err = new CosmosError("CosmosError", "internal error; see the caravel-universe log", 500);
  }
  send(res, err.status, COSMOS_ERROR_TYPE, err.toBody());
}

/** Describes zod issues as `path: message` for a Cosmos error. */
function zodMessage(error: z.ZodError): { message: string; errors: { path: string; message: string }[] } {
  const errors = error.issues.map((i) => ({ path: `/${i.path.join("/")}`, message: i.message }));
  return { message: errors.map((e) => `${e.path}: ${e.message}`).join("; "), errors };
}

export interface RpcSpec<T> {
  /** Request kind, e.g. "search" → `application/vnd.dcos.package.search-request+json;…;version=v1`. */
  kind: string;
  ns?: "package" | "service";
  body: z.ZodType<T>;
  /** Response versions offered, preferred first. */
  responses: number[];
}

/** Runs one RPC: negotiation, then `fn(body, version, req)` whose result is sent with the chosen type. */
export async function runRpc<T>(req: IncomingMessage, res: ServerResponse, spec: RpcSpec<T>, log: Logger, fn: (body: T, version: number) => Promise<unknown>): Promise<void> {
  const ns = spec.ns ?? "package";
  try {
    const offered = spec.responses.map((v) => cosmosType(ns, `${spec.kind}-response`, v));
    const requestType = cosmosType(ns, `${spec.kind}-request`, 1);
    const { chosen, contentOk } = negotiateOnce(offered, requestType, req.headers.accept, req.headers["content-type"]);
    if (!chosen) {
      throw new CosmosError("UnsupportedContentType", `none of the types in Accept (${req.headers.accept}) can be produced; accept one of: ${offered.join(", ")}`, 406, { supported: offered });
    }
    if (!contentOk) {
      throw new CosmosError("UnsupportedContentType", `Content-Type ${req.headers["content-type"]} is not accepted here; send ${requestType}`, 415, { supported: [requestType] });
    }
    const text = (await readBody(req)).toString("utf8");
    let raw: unknown = {};
    try {
      // An empty body is an empty request ({}), which is what list-style RPCs mean by it.
      if (text.trim()) raw = JSON.parse(text);
    } catch (error) {
      throw new CosmosError("MalformedRequest", `the request body is not valid JSON (${(error as Error).message}); send a JSON object`, 400);
    }
    const parsed = spec.body.safeParse(raw ?? {});
    if (!parsed.success) {
      const { message, errors } = zodMessage(parsed.error);
      throw new CosmosError("JsonSchemaMismatch", `the ${spec.kind} request is invalid: ${message}`, 400, { errors });
    }
    const version = Number(/version=v(\d+)/.exec(chosen)?.[1] ?? 1);
    const result = await fn(parsed.data, version);
    send(res, 200, chosen, result);
  } catch (error) {
    sendCosmosError(res, error, log);
  }
}
