/**
 * The peer of the Docker launch benchmarks: the same containers started by `docker run -d` in
 * parallel, with the settings Caravel's Docker containerizer uses (Init, 32 MiB, cpu shares for
 * 0.1 cpu, bridge, the sandbox bind-mounted as working directory, Caravel's labels).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface DockerPeer {
  /** Sandboxes go under `root`; containers carry the label caravel.bench=<run>. */
  root: string;
  run: string;
  image: string;
}

function dockerRun(peer: DockerPeer, i: number): Promise<void> {
  const sandbox = join(peer.root, `${peer.run}-p-${i}`);
  mkdirSync(sandbox, { recursive: true });
  const args = ["run", "-d", "--init", "-m", "32m", "--memory-swap", "32m", "--cpu-shares", "102", "--network", "bridge",
    "-v", `${sandbox}:/mnt/mesos/sandbox`, "-w", "/mnt/mesos/sandbox", "-e", "MESOS_SANDBOX=/mnt/mesos/sandbox",
    "--label", `caravel.bench=${peer.run}`, "--label", `caravel.task_id=p-${i}`, "--name", `${peer.run}-p-${i}-${randomUUID().slice(0, 6)}`,
    peer.image, "/bin/sh", "-c", "sleep 3600"];
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/docker", args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}: ${err}`))));
  });
}

/** Milliseconds until `n` containers run (every `docker run -d` exited 0). */
export async function peerRound(peer: DockerPeer, n: number): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => dockerRun(peer, i)));
  return performance.now() - start;
}

/** Fails with the fix when the engine does not answer or the image is missing. */
export async function requireEngineAndImage(
  docker: { ping(): Promise<unknown>; getImage(name: string): { inspect(): Promise<unknown> } },
  image: string,
  missingEngine: string,
): Promise<void> {
  await docker.ping().catch(() => {
    throw new Error(missingEngine);
  });
  await docker.getImage(image).inspect().catch(() => {
    throw new Error(`image ${image} missing: run \`bash scripts/build-images\``);
  });
}
