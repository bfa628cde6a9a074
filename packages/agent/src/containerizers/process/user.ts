/**
 * CommandInfo.user for process tasks, as Mesos' `--switch_user`: when the agent runs as root, the
 * task runs as that user and its sandbox is handed to it (recursively, fetched files included).
 * Users are resolved with getent so that NSS sources (LDAP, …) work as for any other program.
 */
import { execFileSync } from "node:child_process";
import { lchownSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { LaunchError } from "../types.js";

export interface UserIds {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Parses one passwd line (name:x:uid:gid:gecos:home:shell). */
export function parsePasswd(line: string): UserIds | undefined {
  const f = line.trim().split(":");
  if (f.length < 7 || f[2] === "" || f[3] === "") return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

export function lookupUser(name: string): UserIds {
  let line = "";
  try {
    line = execFileSync("getent", ["passwd", name], { encoding: "utf8" });
  } catch {
    // getent exits 2 for an unknown user.
  }
  const user = parsePasswd(line.split("\n")[0] ?? "");
  if (!user) throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `command.user '${name}' does not exist on this agent; create it or run the task as an existing user`);
  return user;
}

/** chown -R without following symlinks (volumes are symlinks to host paths that are not ours to change). */
export function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else lchownSync(child, uid, gid);
  }
}
