import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { beforeAll } from "vitest";
import { runContainerizerContract } from "../contract/containerizer.contract.js";
import { DOCKER_MISSING, DockerContainerizer } from "./docker-containerizer.js";
import { LABEL } from "./docker-spec.js";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const agentId = `docker-contract-${process.pid}`;
const root = mkdtempSync(join(tmpdir(), "caravel-docker-"));

beforeAll(async () => {
  await docker.ping().catch(() => {
    throw new Error(DOCKER_MISSING);
  });
  await docker.getImage("local/busybox:1").inspect().catch(() => {
    throw new Error("image local/busybox:1 missing: run `bash scripts/build-images`");
  });
});

/** Removes every container this suite created, even after a failed test. */
async function removeOurs(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.agentId}=${agentId}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

runContainerizerContract("docker", () => new DockerContainerizer(), {
  agentId,
  workDir: join(root, "sandboxes"),
  container: { type: "DOCKER", volumes: [], network_infos: [], docker: { image: "local/busybox:1", network: "BRIDGE", port_mappings: [], privileged: false, parameters: [] } },
  cleanup: removeOurs,
});
