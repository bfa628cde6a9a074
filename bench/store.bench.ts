/**
 * Store write throughput: the embedded file store against ZooKeeper (its peer), side by side.
 * Settings: one process, one store handle; N_SEQ writes one after the other (each waits for its
 * fsync), then N_CONC writes issued at once (group commit: they share fsyncs). ZooKeeper runs
 * standalone with forceSync=yes, so both sides fsync what they acknowledge.
 *
 * Run: node --conditions=source --import tsx bench/store.bench.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileStore, createZkStore, type Store } from "@caravel/coordination";
import { startZooKeeper, ZOOKEEPER_INSTALL } from "@caravel/coordination/testing";
import { existsSync } from "node:fs";

const N_SEQ = Number(process.env.N_SEQ ?? 300);
const N_CONC = Number(process.env.N_CONC ?? 1000);
const payload = Buffer.alloc(256, 120);

interface Result {
  seqPerSec: number;
  concPerSec: number;
  seqFsyncs: number;
  concFsyncs: number;
}

async function measure(store: Store, prefix: string, fsyncs: () => number = () => 0): Promise<Result> {
  // Parents exist beforehand on both sides, so that only the measured writes are timed.
  await store.put(`${prefix}/seq/warm`, payload);
  await store.put(`${prefix}/conc/warm`, payload);
  const f0 = fsyncs();
  let start = performance.now();
  for (let i = 0; i < N_SEQ; i++) await store.put(`${prefix}/seq/n${i}`, payload);
  const seqPerSec = N_SEQ / ((performance.now() - start) / 1000);
  const f1 = fsyncs();
  start = performance.now();
  await Promise.all(Array.from({ length: N_CONC }, (_, i) => store.put(`${prefix}/conc/n${i}`, payload)));
  const concPerSec = N_CONC / ((performance.now() - start) / 1000);
  return { seqPerSec, concPerSec, seqFsyncs: f1 - f0, concFsyncs: fsyncs() - f1 };
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  console.log(
    `store.bench: ${N_SEQ} sequential + ${N_CONC} concurrent puts of ${payload.length} B; node ${process.version}; ${new Date().toISOString()}`,
  );
  const dir = await mkdtemp(join(tmpdir(), "caravel-bench-store-"));
  const file = await createFileStore(dir);
  await file.put("/warm", payload);
  const fileResult = await measure(file, "/bench", () => file.stats().fsyncs);
  console.log(
    `file store : sequential ${fmt(fileResult.seqPerSec)} writes/s (${fileResult.seqFsyncs} fsyncs for ${N_SEQ} writes), ` +
      `concurrent ${fmt(fileResult.concPerSec)} writes/s (${fileResult.concFsyncs} fsyncs for ${N_CONC} writes)`,
  );
  await file.close();
  await rm(dir, { recursive: true, force: true });

  if (!existsSync("/usr/share/java/zookeeper.jar")) {
    console.log(`zookeeper  : skipped comparison, ZooKeeper is not installed: ${ZOOKEEPER_INSTALL}`);
    process.exitCode = 1;
    return;
  }
  const server = await startZooKeeper({ forceSync: true });
  try {
    const zk = await createZkStore(server.url("/bench"), { sessionTimeoutMs: 10_000 });
    await zk.put("/warm", payload);
    const zkResult = await measure(zk, "/bench");
    console.log(
      `zookeeper  : sequential ${fmt(zkResult.seqPerSec)} writes/s, concurrent ${fmt(zkResult.concPerSec)} writes/s (standalone 3.8, forceSync=yes)`,
    );
    console.log(
      `ratio file/zk: sequential ${(fileResult.seqPerSec / zkResult.seqPerSec).toFixed(2)}x, concurrent ${(fileResult.concPerSec / zkResult.concPerSec).toFixed(2)}x`,
    );
    await zk.close();
  } finally {
    await server.stop();
  }
}

await main();
