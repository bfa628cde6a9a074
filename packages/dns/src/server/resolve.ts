/**
 * Answering one question from a RecordSet: pure, so NXDOMAIN/NODATA, SOA/NS, SRV additionals and
 * aliases are tested without sockets. The server decides what to do with `forward`.
 */
import type { Answer } from "dns-packet";
import { zoneOf, type NameEntry, type RecordSet } from "../records/record-set.js";

export interface SoaSettings {
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
  readonly serial: number;
}

export type Resolution =
  | { kind: "answer"; rcode: "NOERROR" | "NXDOMAIN"; answers: Answer[]; authorities: Answer[]; additionals: Answer[] }
  | { kind: "forward" };

/** dcos-net aliases: `*.dclb.thisdcos.directory` and `*.thisdcos.global`. */
export function canonicalName(name: string): string {
  let n = name.toLowerCase().replace(/\.$/, "");
  if (n.endsWith(".thisdcos.global") || n === "thisdcos.global") n = n.slice(0, -"thisdcos.global".length) + "thisdcos.directory";
  if (n.endsWith(".dclb.thisdcos.directory")) n = n.slice(0, -"dclb.thisdcos.directory".length) + "l4lb.thisdcos.directory";
  return n;
}

const soaOf = (zone: string, soa: SoaSettings, ttl: number): Answer => ({
  type: "SOA",
  name: zone,
  ttl,
  data: { mname: `ns1.${zone}`, rname: `root.ns1.${zone}`, serial: soa.serial, refresh: soa.refresh, retry: soa.retry, expire: soa.expire, minimum: soa.minimum },
});

/** Fisher–Yates with an injected random source, so shuffling is testable. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function addresses(name: string, entry: NameEntry, type: "A" | "AAAA", random: () => number): Answer[] {
  const list = type === "A" ? entry.a : entry.aaaa;
  return shuffled(list, random).map((ip) => ({ type, name, ttl: entry.ttl, data: ip }) as Answer);
}

/** Resolves `qname`/`type`. Names outside the authoritative zones are `forward`. */
export function resolve(set: RecordSet, qname: string, type: string, soa: SoaSettings, random: () => number = Math.random): Resolution {
  const name = canonicalName(qname);
  const zone = zoneOf(set.zones, name);
  if (!zone) return { kind: "forward" };
  const owner = qname.replace(/\.$/, "");
  const entry = set.names.get(name);
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const any = type === "ANY";
  if (name === zone && (type === "SOA" || any)) answers.push({ ...soaOf(zone, soa, soa.minimum), name: owner });
  if (name === zone && (type === "NS" || any)) answers.push({ type: "NS", name: owner, ttl: soa.minimum, data: `ns1.${zone}` });
  if (name === zone && type === "NS") {
    const ns = set.names.get(`ns1.${zone}`);
    if (ns) additionals.push(...addresses(`ns1.${zone}`, ns, "A", random));
  }
  if (entry) {
    if (type === "A" || any) answers.push(...addresses(owner, entry, "A", random));
    if (type === "AAAA" || any) answers.push(...addresses(owner, entry, "AAAA", random));
    if (type === "SRV" || any) {
      for (const s of shuffled(entry.srv, random)) {
        answers.push({ type: "SRV", name: owner, ttl: entry.ttl, data: { target: s.target, port: s.port, priority: s.priority, weight: s.weight } });
        const target = set.names.get(s.target);
        if (target && !additionals.some((a) => a.name === s.target)) additionals.push(...addresses(s.target, target, "A", random));
      }
    }
  }
  if (answers.length) return { kind: "answer", rcode: "NOERROR", answers, authorities: [], additionals };
  const exists = set.existing.has(name);
  return { kind: "answer", rcode: exists ? "NOERROR" : "NXDOMAIN", answers: [], authorities: [soaOf(zone, soa, soa.minimum)], additionals: [] };
}
