#!/usr/bin/env node
/** caravel-l4lb: layer-4 virtual IPs for tasks, through iptables NAT (root) or a userspace proxy. */
import { setDefaultAuthorization } from "@caravel/api";
import { backendAuthFromFlags } from "@caravel/auth";
import { runProcess } from "@caravel/runtime";
import { L4lbConfig } from "./config.js";
import { createServer } from "./server.js";

await runProcess({ name: "caravel-l4lb", summary: "Layer-4 load balancer: named and IP VIPs from task port labels (one per host).", schema: L4lbConfig }, async (config, log) => {
  // A service account (multi-machine clusters): the master's state and event stream are read with its token.
  setDefaultAuthorization((await backendAuthFromFlags(config)).authorization);
  const server = createServer({ config, log });
  await server.listen();
  return () => server.close();
});
