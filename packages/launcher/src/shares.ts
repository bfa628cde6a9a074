/**
 * How several agents on one machine split it (DESIGN.md §1): each gets a disjoint share of CPU,
 * memory and disk and its own port range, so that nothing is offered twice. Pure.
 */

export interface MachineResources {
  cpus: number;
  /** Total memory in MiB. */
  memMb: number;
  /** Free disk under CARAVEL_HOME in MiB. */
  diskMb: number;
}

export interface ShareOptions {
  /** Memory kept for the OS and the cluster's own processes (default 1 GiB). */
  memHeadroomMb?: number;
  /** Disk kept free (default 5 GiB). */
  diskHeadroomMb?: number;
  /** Port range the agents split between them (default [31000, 32000]). */
  ports?: readonly [number, number];
}

export interface AgentShare {
  cpus: number;
  memMb: number;
  diskMb: number;
  ports: [number, number];
}

/** Floors to 3 decimals so that the shares never add up to more than the machine has. */
const floor3 = (x: number): number => Math.floor(x * 1000 + 1e-6) / 1000;

/**
 * What is left after the headroom; when the machine is smaller than the headroom, half of it
 * (a tiny machine still gets a usable cluster rather than zero).
 */
function usable(total: number, headroom: number): number {
  return total - headroom >= total / 2 ? total - headroom : total / 2;
}

/** The share of each of `count` agents. Throws when there are more agents than ports. */
export function agentShares(machine: MachineResources, count: number, options: ShareOptions = {}): AgentShare[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`agent count must be a whole number >= 0, got ${count}`);
  if (count === 0) return [];
  const [low, high] = options.ports ?? [31000, 32000];
  const portCount = high - low + 1;
  if (count > portCount) throw new Error(`${count} agents cannot each get a port from [${low}-${high}]; use at most ${portCount} agents`);
  const cpus = floor3(machine.cpus / count);
  const memMb = Math.floor(usable(machine.memMb, options.memHeadroomMb ?? 1024) / count);
  const diskMb = Math.floor(usable(machine.diskMb, options.diskHeadroomMb ?? 5 * 1024) / count);
  const size = Math.floor(portCount / count);
  return Array.from({ length: count }, (_, i) => ({
    cpus,
    memMb,
    diskMb,
    // The last agent also takes the remainder, so the whole range is used.
    ports: [low + i * size, i === count - 1 ? high : low + (i + 1) * size - 1] as [number, number],
  }));
}

/** A share in Mesos `--resources` syntax, reserved to `role` when it is not "*". */
export function resourcesFlag(share: AgentShare, role = "*"): string {
  const n = (name: string) => (role === "*" ? name : `${name}(${role})`);
  return `${n("cpus")}:${share.cpus};${n("mem")}:${share.memMb};${n("disk")}:${share.diskMb};${n("ports")}:[${share.ports[0]}-${share.ports[1]}]`;
}
