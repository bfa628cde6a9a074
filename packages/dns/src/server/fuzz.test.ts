import { createSocket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import dnsPacket from "dns-packet";
import { clusterViewFromMasterState } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { DnsConfig } from "../config.js";
import { generateRecords } from "../records/generate.js";
import { legacyState } from "../records/fixture.js";
import { createServer, type DnsServer } from "../server.js";
import { dig } from "../testing/dig.js";
import { createQueryHandler } from "./handler.js";

const set = generateRecords(clusterViewFromMasterState(legacyState()), {
  domain: "mesos",
  ttl: 60,
  ipSources: ["netinfo", "host"],
  nameserverIps: ["127.0.0.1"],
  masters: [],
  vipCidr: "11.0.0.0/8",
});
const handler = createQueryHandler({
  records: () => set,
  generation: () => 1,
  forwarder: undefined,
  authoritativeOnly: true,
  soa: { refresh: 60, retry: 600, expire: 86400, minimum: 60 },
});

const valid = (name: string, type: string) =>
  dnsPacket.encode({ type: "query", id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as "A", name }] });

/** Either nothing, or a well-formed response carrying the query's ID. */
function checkReply(query: Buffer, reply: Buffer | undefined): void {
  if (reply === undefined) return;
  expect(reply.length).toBeGreaterThanOrEqual(12);
  expect(reply.readUInt16BE(0)).toBe(query.readUInt16BE(0));
  expect(reply.readUInt16BE(2) & 0x8000).toBe(0x8000);
}

describe("packet parser fuzzing", () => {
  it("random bytes never throw and get FORMERR or nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const query = Buffer.from(bytes);
        checkReply(query, await handler.handle(query, "udp"));
        checkReply(query, await handler.handle(query, "tcp"));
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated valid queries never throw", async () => {
    const seeds = [valid("api-web-prod.marathon.mesos", "A"), valid("_http._api-web-prod._tcp.marathon.mesos", "SRV"), valid("mesos", "SOA")];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat({ max: 80 }),
        async (seed, flips, cut) => {
          const query = Buffer.from(seed);
          for (const [at, value] of flips) query[at % query.length] = value;
          const truncated = query.subarray(0, Math.max(0, query.length - (cut % query.length)));
          checkReply(query, await handler.handle(query, "udp"));
          if (truncated.length >= 2) checkReply(truncated, await handler.handle(truncated, "udp"));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("answers FORMERR for a header that promises a question it lacks", async () => {
    const query = valid("x.mesos", "A").subarray(0, 14);
    const reply = (await handler.handle(Buffer.from(query), "udp"))!;
    expect(reply.readUInt16BE(2) & 0xf).toBe(1);
  });
});

describe("a live server under garbage", () => {
  let server: DnsServer;
  let port: number;
  beforeAll(async () => {
    server = createServer({ config: DnsConfig.parse({ port: 0, http_port: 0, resolvers: "127.0.0.1:9", timeout: 0.2 }), log: silentLogger(), noMaster: true });
    port = (await server.listen()).dnsPort;
    server.update(clusterViewFromMasterState(legacyState()));
  });
  afterAll(() => server?.close());

  it("keeps answering after thousands of random datagrams", async () => {
    const socket = createSocket("udp4");
    const samples = fc.sample(fc.uint8Array({ maxLength: 512 }), 2000);
    await Promise.all(samples.map((bytes) => new Promise<void>((resolve) => socket.send(Buffer.from(bytes), port, "127.0.0.1", () => resolve()))));
    socket.close();
    const answer = await dig(port, "leader.mesos");
    expect(answer.answers[0]?.data).toBe("10.0.0.1");
  });
});
