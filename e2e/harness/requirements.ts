/**
 * Checks for what whole-cluster scenarios need from the machine. A missing tool fails the test
 * loudly with the command that installs it; tests are never skipped.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

function answers(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Throws unless a Docker engine answers `docker info`. */
export function requireDocker(): void {
  if (!answers("docker", ["info"])) {
    throw new Error(
      "this test needs a Docker engine: apt-get install -y docker.io && (setsid dockerd >/tmp/dockerd.log 2>&1 &) — or run scripts/bootstrap",
    );
  }
}

/** Throws unless the local test image exists (`bash scripts/build-images` builds it). */
export function requireImage(image = "local/busybox:1"): void {
  requireDocker();
  if (!answers("docker", ["image", "inspect", image])) throw new Error(`this test needs the image ${image}: run bash scripts/build-images`);
}

/** Throws unless ZooKeeper serves on host:port (scripts/bootstrap starts one on 127.0.0.1:2181). */
export function requireZooKeeper(host = "127.0.0.1", port = 2181): void {
  if (!existsSync("/usr/share/java/zookeeper.jar")) {
    throw new Error("this test needs ZooKeeper: apt-get install -y --no-install-recommends zookeeper, then run scripts/bootstrap");
  }
  let out = "";
  try {
    out = execFileSync("busybox", ["nc", host, String(port)], { input: "srvr\n", timeout: 5_000 }).toString();
  } catch {
    // not serving
  }
  if (!/^Mode:/m.test(out)) throw new Error(`ZooKeeper is not serving on ${host}:${port}: run scripts/bootstrap (it starts one)`);
}

/** Returns the Chromium executable, or throws with the install command. */
export function requireChromium(): string {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(path)) return path;
  throw new Error("this test needs Chromium: apt-get install -y --no-install-recommends chromium");
}

/** Whether this process runs as root (iptables, cgroups and network namespaces need it). */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error("this test needs root (iptables, cgroups, namespaces); run it as root");
}
