#!/usr/bin/env node
/**
 * caravel-dns: Mesos-DNS-compatible names and dcos-net zones, kept current from the master's events.
 * With `--workers N` the primary forks N workers that share the DNS and HTTP sockets (node:cluster
 * hands every worker the same UDP/TCP handles) and each follows the master itself; the primary only
 * owns the dedicated address and restarts workers that die.
 */
import cluster from "node:cluster";
import { setDefaultAuthorization } from "@caravel/api";
import { BackendAuthFlags, backendAuthFromFlags } from "@caravel/auth";
import { runProcess, setListenGuard } from "@caravel/runtime";
import { DnsConfig } from "./config.js";
import { addDummyAddress } from "./server/dummy-interface.js";
import { createServer } from "./server.js";

await runProcess({ name: "caravel-dns", summary: "Mesos-DNS-compatible DNS server (UDP+TCP) with the Mesos-DNS HTTP API.", schema: DnsConfig.extend(BackendAuthFlags.shape) }, async (config, log) => {
  if (config.workers > 1 && cluster.isPrimary) {
    const removeDummy = config.dummy_ip ? addDummyAddress(config.dummy_ip) : undefined;
    let stopping = false;
    for (let i = 0; i < config.workers; i++) cluster.fork();
    cluster.on("exit", (worker, code) => {
      if (stopping) return;
      log.warn({ worker: worker.id, code }, "DNS worker exited; starting another");
      cluster.fork();
    });
    return async () => {
      stopping = true;
      await Promise.all(Object.values(cluster.workers ?? {}).map((w) => new Promise<void>((resolve) => (w ? (w.once("exit", () => resolve()), w.kill("SIGTERM")) : resolve()))));
      removeDummy?.();
    };
  }
  // IAM: callers beyond loopback need a token (--iam_url/--iam_public_key); own calls carry the service account's.
  const auth = await backendAuthFromFlags(config);
  setListenGuard(auth.guard);
  setDefaultAuthorization(auth.authorization);
  const server = createServer({ config, log, dummyOwnedElsewhere: cluster.isWorker });
  await server.listen();
  return () => server.close();
});
