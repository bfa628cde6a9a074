/**
 * Name pieces as Mesos-DNS makes them (dcos-services.md §3.3–3.4): RFC 1123 task labels, framework
 * names through DomainFrag, the 5-character task hash `tid` and the agent suffix `sid`.
 */
import { createHash } from "node:crypto";
import { domainFrag, vipLabel } from "@caravel/api";

/** A task-name label: lowercase, `._-` → `-`, other characters dropped, ≤ 63 characters, no edge dashes. */
export const taskLabel = (name: string): string => vipLabel(name);

/** A framework name as a dotted DNS fragment (`marathon.prod` keeps its dot). */
export const frameworkFrag = (name: string): string => domainFrag(name);

const ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769";

/** z-base-32 of `bytes` (most significant bits first), as Mesos-DNS encodes the task-id hash. */
export function zbase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ZBASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ZBASE32[(buffer << (5 - bits)) & 31];
  return out;
}

const tidCache = new Map<string, string>();

/** The first 5 characters of zbase32(sha1(taskId)); cached because every resync asks again. */
export function taskHash(taskId: string): string {
  let tid = tidCache.get(taskId);
  if (tid === undefined) {
    tid = zbase32(createHash("sha1").update(taskId).digest()).slice(0, 5);
    if (tidCache.size > 100_000) tidCache.clear();
    tidCache.set(taskId, tid);
  }
  return tid;
}

/** The part of an agent id after its last `-`, lowercased (`…-S1` → `s1`). */
export const agentSuffix = (agentId: string): string => vipLabel(agentId.slice(agentId.lastIndexOf("-") + 1));

/** True when `name` (no trailing dot) is a valid host name: RFC 1123 labels, SRV `_labels` allowed. */
export function isValidDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => /^_?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label) && label.length <= 63);
}
