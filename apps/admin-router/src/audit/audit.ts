/**
 * The audit trail: one record per mutating request (who, what, when, from where, result), appended
 * to the Store as sequential nodes and kept in memory for queries. Records are never changed.
 */
import { randomUUID } from "node:crypto";
import type { AuditQuery, AuditRecord } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import type { RouterStore } from "../store/store.js";

export const AUDIT_PATH = "/caravel/admin-router/audit";

export class AuditLog {
  private readonly known = new Set<string>();
  private records: AuditRecord[] = [];

  private constructor(
    private readonly store: RouterStore,
    private readonly log: Logger,
    /** Record names are prefixed per process, so that several router processes never collide. */
    private readonly prefix: string,
  ) {}

  static async open(store: RouterStore, log: Logger, prefix = "record-"): Promise<AuditLog> {
    const audit = new AuditLog(store, log, prefix);
    await audit.refresh();
    return audit;
  }

  /** Loads records other router processes appended since the last look. */
  async refresh(): Promise<void> {
    const fresh: AuditRecord[] = [];
    for (const name of await this.store.children(AUDIT_PATH)) {
      if (this.known.has(name)) continue;
      this.known.add(name);
      const node = await this.store.getJson<AuditRecord>(`${AUDIT_PATH}/${name}`);
      if (node && !this.records.some((r) => r.id === node.value.id)) fresh.push(node.value);
    }
    if (fresh.length) this.records = [...this.records, ...fresh].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** Appends a record; a Store failure is logged loudly (the request itself already happened). */
  async append(entry: Omit<AuditRecord, "id">): Promise<AuditRecord> {
    const record: AuditRecord = { id: randomUUID(), ...entry };
    this.records.push(record);
    try {
      this.known.add((await this.store.create(`${AUDIT_PATH}/${this.prefix}`, Buffer.from(JSON.stringify(record)), { sequential: true })).split("/").pop()!);
    } catch (error) {
      this.log.error({ err: error, record }, "could not write audit record to the Store");
    }
    return record;
  }

  query(query: AuditQuery): AuditRecord[] {
    return filterAudit(this.records, query);
  }

  get size(): number {
    return this.records.length;
  }
}

/** Records matching every given filter, oldest first, at most `limit` (the newest ones). */
export function filterAudit(records: readonly AuditRecord[], q: AuditQuery): AuditRecord[] {
  const out = records.filter(
    (r) =>
      (q.uid === undefined || r.uid === q.uid) &&
      (q.method === undefined || r.method === q.method) &&
      (q.path_prefix === undefined || r.path.startsWith(q.path_prefix)) &&
      (q.result === undefined || r.result === q.result) &&
      (q.since === undefined || r.time >= new Date(q.since).toISOString()) &&
      (q.until === undefined || r.time <= new Date(q.until).toISOString()),
  );
  return q.limit === undefined ? out : out.slice(-q.limit);
}
