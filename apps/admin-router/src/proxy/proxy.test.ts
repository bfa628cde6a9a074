import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { clientResponseHeaders, rewriteLocation, upstreamRequestHeaders } from "./headers.js";
import { SseFilter } from "./sse.js";

describe("proxy headers", () => {
  it("drops hop-by-hop headers and those named in Connection, strips DC/OS cookies and spoofed identity", () => {
    const out = upstreamRequestHeaders(
      { host: "h", connection: "keep-alive, x-secret", "keep-alive": "5", "x-secret": "1", te: "trailers", "x-caravel-uid": "admin", cookie: "a=1; dcos-acs-auth-cookie=t", "x-forwarded-for": "9.9.9.9", accept: "*/*" },
      { client: "1.2.3.4", proto: "https", uid: "alice", cookieToken: "t" },
    );
    expect(out).toEqual({ host: "h", accept: "*/*", cookie: "a=1", authorization: "token=t", "x-forwarded-for": "9.9.9.9, 1.2.3.4", "x-real-ip": "1.2.3.4", "x-forwarded-proto": "https", "x-forwarded-host": "h", "x-caravel-uid": "alice" });
    expect(upstreamRequestHeaders({ authorization: "token=x" }, { client: "c", proto: "http", dropAuthorization: true })["authorization"]).toBeUndefined();
    expect(clientResponseHeaders({ "transfer-encoding": "chunked", connection: "close", "content-type": "a" })).toEqual({ "content-type": "a" });
  });

  it("rewrites Location into the /service/ prefix", () => {
    expect(rewriteLocation("http://10.0.0.1:3000/login", "http://10.0.0.1:3000", "/service/x")).toBe("/service/x/login");
    expect(rewriteLocation("/login", "http://u", "/service/x")).toBe("/service/x/login");
    expect(rewriteLocation("/service/x/a", "http://u", "/service/x")).toBe("/service/x/a");
    expect(rewriteLocation("https://elsewhere/", "http://u", "/service/x")).toBe("https://elsewhere/");
  });
});

describe("SSE filter", () => {
  it("keeps allowed events across chunk boundaries, passes comments, withholds unparseable data", async () => {
    const input = ['event: a\ndata: {"appId":"/ok"}\n\n: keep-alive\n\nevent: b\nda', 'ta: {"appId":"/no"}\n\ndata: not json\n\n', 'data: {"appId":"/ok2"}\r\n\r\n'];
    const out = await text(Readable.from(input.map((s) => Buffer.from(s))).pipe(new SseFilter((d) => !String((d as { appId: string }).appId).startsWith("/no"))));
    expect(out).toBe('event: a\ndata: {"appId":"/ok"}\n\n: keep-alive\n\ndata: {"appId":"/ok2"}\r\n\r\n');
  });
});
