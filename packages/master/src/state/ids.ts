/** Identifiers the master hands out, in Mesos' formats (mesos-core.md §0.3). */
import { randomBytes, randomUUID } from "node:crypto";

export class IdGenerator {
  private frameworks = 0;
  private agents = 0;
  private offers = 0;

  constructor(readonly masterId: string = randomUUID()) {}

  framework(): string {
    return `${this.masterId}-${String(this.frameworks++).padStart(4, "0")}`;
  }

  agent(): string {
    return `${this.masterId}-S${this.agents++}`;
  }

  offer(): string {
    return `${this.masterId}-O${this.offers++}`;
  }
}

export const streamId = (): string => randomUUID();
export const uuidBytes = (): string => randomBytes(16).toString("base64");

/** Checks a client-chosen id (task, executor, framework): Mesos' rules, with the reason when invalid. */
export function invalidIdReason(id: string): string | undefined {
  if (id.length === 0) return "must not be empty";
  if (id.length > 255) return "must be at most 255 characters";
  if (id === "." || id === "..") return `must not be "${id}"`;
  if (/[\u0000-\u001f\u007f/\\]/.test(id)) return "must not contain '/', '\\' or control characters";
  return undefined;
}

/** MasterInfo.ip: the IPv4 address's network-order bytes read as a little-endian uint32. */
export function ipToMesosInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  return ((parts[3]! << 24) >>> 0) + (parts[2]! << 16) + (parts[1]! << 8) + parts[0]!;
}
