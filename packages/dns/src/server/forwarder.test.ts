import { createSocket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { createForwarder, parseUpstream, resolversFromResolvConf } from "./forwarder.js";

describe("forwarder", () => {
  const silent = createSocket("udp4"); // receives and never answers: a dead resolver
  const live = createSocket("udp4"); // answers every query with 192.0.2.7
  let silentHits = 0;
  beforeAll(async () => {
    silent.on("message", () => silentHits++);
    live.on("message", (msg, r) => {
      const q = dnsPacket.decode(msg);
      live.send(dnsPacket.encode({ type: "response", id: q.id, flags: 0x8180, questions: q.questions, answers: [{ type: "A", name: q.questions![0]!.name, data: "192.0.2.7" }] }), r.port, r.address);
    });
    await Promise.all([silent, live].map((s) => new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))));
  });
  afterAll(() => {
    silent.close();
    live.close();
  });

  it("fails over, keeps the client's ID, and stops asking a dead resolver first", async () => {
    const forwarder = createForwarder([parseUpstream(`127.0.0.1:${silent.address().port}`), parseUpstream(`127.0.0.1:${live.address().port}`)], 300);
    const ask = async (id: number) => {
      const answer = await forwarder.forward(dnsPacket.encode({ type: "query", id, questions: [{ type: "A", name: "x.example" }] }), false);
      return dnsPacket.decode(answer!);
    };
    const first = await ask(4242);
    expect(first.id).toBe(4242);
    expect((first.answers![0] as { data: string }).data).toBe("192.0.2.7");
    expect(silentHits).toBe(1);
    for (let i = 0; i < 5; i++) expect((await ask(i + 1)).id).toBe(i + 1);
    expect(silentHits).toBe(1); // the dead one is now tried last
    forwarder.close();
  });

  it("parses resolv.conf and upstream specs", () => {
    expect(resolversFromResolvConf("# x\nnameserver 10.0.0.2\nsearch a\nnameserver ::1\n")).toEqual(["10.0.0.2", "::1"]);
    expect(parseUpstream("10.0.0.2")).toEqual({ host: "10.0.0.2", port: 53 });
    expect(parseUpstream("[::1]:5353")).toEqual({ host: "::1", port: 5353 });
  });
});
