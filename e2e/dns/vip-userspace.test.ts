/** The named-VIP scenario (vip-scenario.ts) through the userspace proxy. Needs root (VIP addresses on lo). */
import { vipScenario } from "./vip-scenario.js";

vipScenario("userspace");
