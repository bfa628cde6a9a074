/** The named-VIP scenario (vip-scenario.ts) through the kernel plane (iptables NAT). Needs root. */
import { vipScenario } from "./vip-scenario.js";

vipScenario("kernel");
