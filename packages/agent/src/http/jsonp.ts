/** JSON answers with Mesos' `?jsonp=callback` option (legacy UIs load agent state that way). */
import type { ServerResponse } from "node:http";
import { CaravelError } from "@caravel/api";
import { sendJson } from "@caravel/runtime";

export function sendMaybeJsonp(res: ServerResponse, url: URL, body: unknown): void {
  const callback = url.searchParams.get("jsonp");
  if (!callback) return sendJson(res, 200, body);
  if (!/^[A-Za-z_$][\w$.]*$/.test(callback)) {
    throw new CaravelError("INVALID_REQUEST", "query parameter 'jsonp' must be a JavaScript identifier", { path: "jsonp" });
  }
  const text = `${callback}(${JSON.stringify(body)});`;
  res.writeHead(200, { "content-type": "text/javascript", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
