#!/usr/bin/env node
/** caravel-l4lb: layer-4 virtual IPs for tasks, through iptables NAT (root) or a userspace proxy. */
import { runProcess } from "@caravel/runtime";
import { L4lbConfig } from "./config.js";
import { createServer } from "./server.js";

await runProcess({ name: "caravel-l4lb", summary: "Layer-4 load balancer: named and IP VIPs from task port labels (one per host).", schema: L4lbConfig }, async (config, log) => {
  const server = createServer({ config, log });
  await server.listen();
  return () => server.close();
});
