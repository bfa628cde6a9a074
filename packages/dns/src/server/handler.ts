/**
 * One DNS message in, one message out (or nothing): decoding, FORMERR/NOTIMP/REFUSED, EDNS0 sizes,
 * UDP truncation, forwarding and a small answer cache. The cache holds encoded answers keyed by the
 * query bytes after the ID, for answers that need no shuffling, and is dropped whenever the record
 * set changes, so it can never serve a stale name.
 */
import dnsPacket, { type Answer, type Packet } from "dns-packet";
import type { RecordSet } from "../records/record-set.js";
import type { Forwarder } from "./forwarder.js";
import { resolve, type SoaSettings } from "./resolve.js";

export type Transport = "udp" | "tcp";

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const MAX_UDP = 4096;
const CACHE_LIMIT = 20_000;

export interface HandlerDeps {
  records(): RecordSet;
  /** Changes whenever the record set is replaced; also the SOA serial. */
  generation(): number;
  forwarder: Forwarder | undefined;
  authoritativeOnly: boolean;
  soa: Omit<SoaSettings, "serial">;
  onAnswer?(rcode: keyof typeof RCODE, kind: "authoritative" | "forwarded" | "error"): void;
}

/** A header-only reply; built by hand so that it works for any bytes that carry an ID. */
export function headerReply(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  const flags = query.length >= 4 ? query.readUInt16BE(2) : 0;
  out.writeUInt16BE(QR | (flags & 0x7800) | (flags & RD) | RA | rcode, 2);
  return out;
}

function udpLimit(packet: Packet): number {
  const opt = packet.additionals?.find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  return opt ? Math.min(MAX_UDP, Math.max(512, opt.udpPayloadSize ?? 512)) : 512;
}

export interface QueryHandler {
  handle(query: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined>;
}

export function createQueryHandler(deps: HandlerDeps): QueryHandler {
  let cache = new Map<string, Buffer>();
  let cacheGeneration = -1;

  const encode = (query: Packet, rcode: number, body: { answers: Answer[]; authorities: Answer[]; additionals: Answer[] }, transport: Transport): Buffer => {
    const hasOpt = query.additionals?.some((a) => a.type === "OPT");
    const opt: Answer[] = hasOpt ? [{ type: "OPT", name: ".", udpPayloadSize: MAX_UDP } as unknown as Answer] : [];
    const flags = AA | ((query.flags ?? 0) & RD) | RA | rcode;
    const response: Packet = { type: "response", id: query.id ?? 0, flags, questions: query.questions ?? [], ...body, additionals: [...body.additionals, ...opt] };
    const bytes = dnsPacket.encode(response);
    if (transport === "tcp" || bytes.length <= udpLimit(query)) return bytes;
    return dnsPacket.encode({ ...response, flags: flags | TC, answers: [], authorities: [], additionals: opt });
  };

  const forward = async (raw: Buffer, query: Packet, transport: Transport): Promise<Buffer> => {
    if (deps.authoritativeOnly || !deps.forwarder) {
      deps.onAnswer?.("REFUSED", "error");
      return headerReplyFor(raw, query, RCODE.REFUSED);
    }
    const answer = await deps.forwarder.forward(raw, transport === "tcp");
    if (!answer) {
      deps.onAnswer?.("SERVFAIL", "error");
      return headerReplyFor(raw, query, RCODE.SERVFAIL);
    }
    deps.onAnswer?.("NOERROR", "forwarded");
    return answer;
  };

  return {
    handle(raw, transport) {
      if (raw.length < 12 || (raw.readUInt16BE(2) & QR) !== 0) return undefined;
      const generation = deps.generation();
      if (generation !== cacheGeneration) {
        cache = new Map();
        cacheGeneration = generation;
      }
      const key = transport === "udp" ? raw.toString("latin1", 2) : undefined;
      const hit = key === undefined ? undefined : cache.get(key);
      if (hit) {
        const out = Buffer.from(hit);
        out.writeUInt16BE(raw.readUInt16BE(0), 0);
        deps.onAnswer?.("NOERROR", "authoritative");
        return out;
      }
      let query: Packet;
      try {
        query = dnsPacket.decode(raw);
      } catch {
        deps.onAnswer?.("FORMERR", "error");
        return headerReply(raw, RCODE.FORMERR);
      }
      const opcode = (raw.readUInt16BE(2) >> 11) & 0xf;
      if (opcode !== 0) return headerReply(raw, RCODE.NOTIMP);
      const question = query.questions?.[0];
      if (!question || query.questions!.length !== 1 || typeof question.name !== "string") return headerReply(raw, RCODE.FORMERR);
      try {
        const result = resolve(deps.records(), question.name, question.type, { ...deps.soa, serial: generation >>> 0 });
        if (result.kind === "forward") return forward(raw, query, transport);
        if (question.class !== "IN" && question.class !== "ANY") return headerReplyFor(raw, query, RCODE.REFUSED);
        const bytes = encode(query, RCODE[result.rcode], result, transport);
        deps.onAnswer?.(result.rcode, "authoritative");
        const cacheable = key !== undefined && result.answers.length <= 1 && result.additionals.length <= 1 && cache.size < CACHE_LIMIT;
        if (cacheable) cache.set(key, bytes);
        return bytes;
      } catch {
        deps.onAnswer?.("FORMERR", "error");
        return headerReply(raw, RCODE.FORMERR);
      }
    },
  };
}

/** A header-only reply that keeps the question (clients match answers by it). */
function headerReplyFor(raw: Buffer, query: Packet, rcode: number): Buffer {
  try {
    return dnsPacket.encode({ type: "response", id: query.id ?? 0, flags: ((query.flags ?? 0) & RD) | RA | rcode, questions: query.questions ?? [] });
  } catch {
    return headerReply(raw, rcode);
  }
}
