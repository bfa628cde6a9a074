/**
 * Helper process for bench/l4lb-throughput.bench.ts: runs caravel-l4lb's userspace plane alone,
 * serving the VIP table given as JSON in L4LB_TABLE, so that the proxy has its own event loop as it
 * would in caravel-l4lb. Prints "ready" once listening.
 */
import type { VipEntry } from "@caravel/api";
import { createUserspacePlane } from "../packages/l4lb/src/plane/userspace.js";

const table = JSON.parse(process.env.L4LB_TABLE ?? "[]") as VipEntry[];
const plane = createUserspacePlane({ balance: (process.env.L4LB_BALANCE as "round_robin" | "least_connections" | undefined) ?? "round_robin" });
await plane.apply(table);
console.log("ready");
process.on("SIGTERM", () => void plane.close().then(() => process.exit(0)));
