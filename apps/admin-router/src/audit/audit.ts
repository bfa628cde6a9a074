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
  private constructor(
    private readonly store: RouterStore,
    private readonly records: AuditRecord[],
    private readonly log: Logger,
  ) {}

  static async open(store: RouterStore, log: Logger): Promise<AuditLog> {
    const names = await store.children(AUDIT_PATH);
    const records: AuditRecord[] = [];
    for (const name of names) {
      const node = await store.getJson<AuditRecord>(`${AUDIT_PATH}/${name}`);
      if (node) records.push(node.value);
    }
    return new AuditLog(store, records, log);
  }

  /** Appends a record; a Store failure is logged loudly (the request itself already happened). */
  async append(entry: Omit<AuditRecord, "id">): Promise<AuditRecord> {
    const record: AuditRecord = { id: randomUUID(), ...entry };
    this.records.push(record);
    try {
      await this.store.create(`${AUDIT_PATH}/record-`, Buffer.from(JSON.stringify(record)), { sequential: true });
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
