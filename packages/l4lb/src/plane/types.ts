/** The data-plane interface: both the kernel (iptables) and the userspace proxy implement it. */
import type { VipEntry } from "@caravel/api";

export type PlaneKind = "kernel" | "userspace";

export interface DataPlane {
  readonly kind: PlaneKind;
  /** Makes the plane serve exactly `table` (idempotent; called on every change). */
  apply(table: readonly VipEntry[]): Promise<void>;
  /** Removes everything the plane installed (rules, addresses, listeners). */
  close(): Promise<void>;
}
