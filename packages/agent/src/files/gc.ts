/**
 * Which ended tasks' sandboxes to collect: never the newest `keepPerApp` of each app (so that a
 * crashed instance's logs are still there after it is replaced); among the rest, those older than
 * `maxAgeMs`, then the oldest until the total fits `diskBudgetBytes`. Pure: sizes are measured by
 * the caller.
 */
export interface EndedSandbox {
  key: string;
  appId: string;
  endedAt: number;
  path: string;
  /** Bytes on disk, when measured. */
  sizeBytes?: number;
}

export interface GcPolicy {
  keepPerApp: number;
  maxAgeMs: number;
  diskBudgetBytes: number;
}

export function selectForCollection(entries: readonly EndedSandbox[], policy: GcPolicy, now: number): EndedSandbox[] {
  const byApp = new Map<string, EndedSandbox[]>();
  for (const e of entries) {
    const list = byApp.get(e.appId) ?? [];
    list.push(e);
    byApp.set(e.appId, list);
  }
  const candidates: EndedSandbox[] = [];
  for (const list of byApp.values()) {
    list.sort((a, b) => b.endedAt - a.endedAt);
    candidates.push(...list.slice(policy.keepPerApp));
  }
  candidates.sort((a, b) => a.endedAt - b.endedAt);
  const chosen = new Set<EndedSandbox>();
  for (const c of candidates) if (now - c.endedAt >= policy.maxAgeMs) chosen.add(c);
  let total = entries.reduce((n, e) => n + (chosen.has(e) ? 0 : (e.sizeBytes ?? 0)), 0);
  for (const c of candidates) {
    if (total <= policy.diskBudgetBytes) break;
    if (chosen.has(c)) continue;
    chosen.add(c);
    total -= c.sizeBytes ?? 0;
  }
  return candidates.filter((c) => chosen.has(c));
}
