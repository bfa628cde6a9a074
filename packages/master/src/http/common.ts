/** Request checks shared by the master's `/api/v1*` endpoints (mesos-core.md §0.4). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, describeZodError } from "@caravel/api";
import { mediaType, readJson, sendText } from "@caravel/runtime";
import type { z } from "zod";

/** Content-Type must be JSON; `; charset=utf-8` and case differences are accepted (Mesos is stricter). */
export function checkContentType(req: IncomingMessage): void {
  const header = req.headers["content-type"];
  if (!header) throw new CaravelError("INVALID_REQUEST", "Expecting 'Content-Type' to be present");
  const type = mediaType(header);
  if (type === "application/x-protobuf") {
    throw new CaravelError("UNSUPPORTED_MEDIA_TYPE", "Caravel speaks JSON only: send 'Content-Type: application/json'");
  }
  if (type !== "application/json") {
    throw new CaravelError("UNSUPPORTED_MEDIA_TYPE", `Expecting 'Content-Type' of application/json, got '${header}'`);
  }
}

/** Whether the Accept header allows a JSON answer (absent = anything). */
export function acceptsJson(req: IncomingMessage): boolean {
  const accept = req.headers["accept"];
  if (!accept) return true;
  return accept.split(",").some((part) => {
    const type = mediaType(part);
    return type === "application/json" || type === "*/*" || type === "application/*";
  });
}

/** Reads a body and validates it with `schema`; errors are 400s that name the field. */
export async function readCall<T extends z.ZodType>(req: IncomingMessage, schema: T, what: string, limit: number): Promise<z.output<T>> {
  checkContentType(req);
  return validateCall(await readJson(req, limit), schema, what);
}

/** Validates a parsed body with `schema`; errors are 400s that name the field. */
export function validateCall<T extends z.ZodType>(json: unknown, schema: T, what: string): z.output<T> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new CaravelError("INVALID_REQUEST", `Failed to validate ${what}: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * The `?jsonp=` callback name, `null` without one, or `undefined` after answering 400 for one that is
 * not a JavaScript identifier.
 */
export function jsonpCallback(res: ServerResponse, url: URL): string | null | undefined {
  const callback = url.searchParams.get("jsonp");
  if (callback && !/^[A-Za-z_$][\w$.]*$/.test(callback)) {
    sendText(res, 400, "'jsonp' must be a JavaScript identifier");
    return undefined;
  }
  return callback;
}

/** Answers with JSON, or JSONP when `?jsonp=callback` is given (the stock Mesos web UI polls that way). */
export function sendJsonp(res: ServerResponse, url: URL, body: string): void {
  const callback = jsonpCallback(res, url);
  if (callback === undefined) return;
  if (callback) {
    const text = `${callback}(${body});`;
    res.writeHead(200, { "content-type": "text/javascript", "content-length": Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Throws unless `payload` is present: Mesos' "Expecting 'accept' to be present". */
export function requirePayload(call: Record<string, unknown>, key: string): void {
  if (call[key] === undefined) throw new CaravelError("INVALID_REQUEST", `Expecting '${key}' to be present`, { path: key });
}
