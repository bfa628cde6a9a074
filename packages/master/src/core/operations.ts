/**
 * Offer operations that change what an agent holds: RESERVE, UNRESERVE, CREATE and DESTROY of
 * persistent volumes (mesos-core.md §1.5). The agent checkpoints the result (CHECKPOINT_RESOURCES) and
 * creates or removes volume directories (APPLY_OPERATION); the allocator sees the new shape.
 */
import { addResources, containsResources, legacyResources, normalizeResource, subtractResources, type Operation, type Resource } from "@caravel/api";
import type { AgentRecord, FrameworkRecord } from "../state/types.js";
import { agentTotal } from "./agents.js";
import type { MasterContext } from "./context.js";

const unreserved = (r: Resource): Resource => {
  const { reservation: _res, disk, ...rest } = r;
  return { ...rest, role: "*", disk: disk?.source ? { source: disk.source } : undefined };
};
const withoutVolume = (r: Resource): Resource => {
  const { disk, ...rest } = r;
  return { ...rest, disk: disk?.source ? { source: disk.source } : undefined };
};

interface Transform {
  from: Resource[];
  to: Resource[];
  checkpointed: (current: Resource[]) => Resource[];
}

function transformFor(operation: Operation, role: string, principal: string | undefined): Transform | string {
  switch (operation.type) {
    case "RESERVE": {
      const resources = (operation.reserve?.resources ?? []).map(normalizeResource);
      for (const r of resources) {
        if ((r.role ?? "*") === "*") return `RESERVE: resource '${r.name}' names no role to reserve for`;
        if (r.role !== role && !r.role!.startsWith(`${role}/`)) return `RESERVE: role '${r.role}' does not match the offer's allocation role '${role}'`;
        if (!r.reservation) return `RESERVE: resource '${r.name}' needs 'reservation' (principal, labels) for a dynamic reservation`;
        if (principal && r.reservation.principal && r.reservation.principal !== principal) return `RESERVE: principal '${r.reservation.principal}' is not the framework's principal '${principal}'`;
      }
      return { from: resources.map(unreserved), to: resources, checkpointed: (c) => addResources(c, resources) };
    }
    case "UNRESERVE": {
      const resources = (operation.unreserve?.resources ?? []).map(normalizeResource);
      for (const r of resources) if (!r.reservation) return `UNRESERVE: resource '${r.name}' is not dynamically reserved`;
      return { from: resources, to: resources.map(unreserved), checkpointed: (c) => subtractResources(c, resources) };
    }
    case "CREATE": {
      const volumes = (operation.create?.volumes ?? []).map(normalizeResource);
      for (const v of volumes) {
        if (v.name !== "disk" || !v.disk?.persistence?.id) return "CREATE: volumes must be 'disk' resources with 'disk.persistence.id'";
        if ((v.role ?? "*") === "*") return `CREATE: volume '${v.disk.persistence.id}' must use reserved disk`;
        if (!v.disk.volume?.container_path) return `CREATE: volume '${v.disk.persistence.id}' needs 'disk.volume.container_path'`;
      }
      const bases = volumes.map(withoutVolume);
      return {
        from: bases,
        to: volumes,
        checkpointed: (c) => addResources(subtractResources(c, bases.filter((b) => b.reservation)), volumes),
      };
    }
    case "DESTROY": {
      const volumes = (operation.destroy?.volumes ?? []).map(normalizeResource);
      for (const v of volumes) if (!v.disk?.persistence?.id) return "DESTROY: volumes must carry 'disk.persistence.id'";
      const bases = volumes.map(withoutVolume);
      return {
        from: volumes,
        to: bases,
        checkpointed: (c) => addResources(subtractResources(c, volumes), bases.filter((b) => b.reservation)),
      };
    }
    default:
      return `${operation.type} is not supported by this master`;
  }
}

/** Applies one non-launch operation to the pool; an invalid one is dropped with a log line, as Mesos does. */
export function applyOperation(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, role: string, pool: Resource[], operation: Operation): Resource[] {
  const transform = transformFor(operation, role, fw.info.principal);
  if (typeof transform === "string") {
    ctx.log.warn({ frameworkId: fw.id, operation: operation.type, error: transform }, "dropping invalid operation");
    return pool;
  }
  if (!containsResources(pool, transform.from)) {
    ctx.log.warn({ frameworkId: fw.id, operation: operation.type, needs: legacyResources(transform.from), offered: legacyResources(pool) }, "dropping operation: resources are not in the offer");
    return pool;
  }
  try {
    ctx.allocator.updateAllocation(fw.id, agent.id, role, transform.from, transform.to);
  } catch (error) {
    ctx.log.warn({ frameworkId: fw.id, operation: operation.type, err: error }, "dropping operation the allocator cannot apply");
    return pool;
  }
  agent.checkpointed = transform.checkpointed(agent.checkpointed);
  agent.total = agentTotal(agent.info.resources, agent.checkpointed);
  ctx.allocator.updateAgentTotal(agent.id, agent.total);
  agent.stream?.send({ type: "APPLY_OPERATION", apply_operation: { framework_id: { value: fw.id }, operation } });
  agent.stream?.send({ type: "CHECKPOINT_RESOURCES", checkpoint_resources: { resources: agent.checkpointed } });
  void ctx.deps.registry.putAgent({ id: agent.id, info: agent.info, state: "ADMITTED", deactivated: agent.deactivated });
  return addResources(subtractResources(pool, transform.from), transform.to);
}
