/** Role names and per-role framework settings (mesos-core.md §2 and §6). */
import type { FrameworkInfo } from "@caravel/api";

/** Mesos' role name rules; "a/b" is a hierarchical role. */
export function invalidRoleReason(role: string): string | undefined {
  if (role === "*") return undefined;
  if (role.length === 0) return "must not be empty";
  if (role.startsWith("/") || role.endsWith("/")) return "must not start or end with '/'";
  for (const part of role.split("/")) {
    if (part === "" || part === "." || part === "..") return "path components must not be empty, '.' or '..'";
    if (part.startsWith("-")) return "path components must not start with '-'";
    if (/[\s\\*]/.test(part) || /[\u0000-\u001f\u007f]/.test(part)) return "must not contain whitespace, '\\', '*' or control characters";
  }
  return undefined;
}

/** A framework's `offer_filters[role].min_allocatable_resources`, as the allocator takes them. */
export function minAllocatableFor(info: FrameworkInfo): Record<string, Array<Record<string, number>>> | undefined {
  if (!info.offer_filters) return undefined;
  const out: Record<string, Array<Record<string, number>>> = {};
  for (const [role, filters] of Object.entries(info.offer_filters)) {
    const alternatives = filters.min_allocatable_resources?.quantities ?? [];
    out[role] = alternatives.map((q) => Object.fromEntries(Object.entries(q.quantities).map(([name, v]) => [name, v.value])));
  }
  return out;
}
