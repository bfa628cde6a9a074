/**
 * Who leads, for the HTTP layer: a single master always leads; with --zk the masters elect through
 * ZooKeeper (coordination's LeaderElection, Mesos' `json.info_` layout) and followers redirect every API
 * call to the leader with a protocol-relative 307, or answer 503 while no leader is known.
 */
import type { ServerResponse } from "node:http";
import type { MasterInfo } from "@caravel/api";
import { sendText } from "@caravel/runtime";

export interface Leadership {
  isLeader(): boolean;
  /** The leading master as detectors see it, when known. */
  leader(): MasterInfo | undefined;
}

export const alwaysLeader = (self: () => MasterInfo): Leadership => ({ isLeader: () => true, leader: self });

/** `//host:port` of a MasterInfo, as Mesos writes redirect locations. */
export function leaderLocation(info: MasterInfo): string {
  const host = info.hostname ?? info.address?.hostname ?? info.address?.ip ?? "";
  return `//${host}:${info.address?.port ?? info.port}`;
}

/** Answers for a follower: 307 to the leader keeping path and query, or 503 when none is known. */
export function redirectToLeader(res: ServerResponse, leadership: Leadership, pathAndQuery: string): void {
  const leader = leadership.leader();
  if (!leader) {
    sendText(res, 503, "No leader elected");
    return;
  }
  res.writeHead(307, { location: `${leaderLocation(leader)}${pathAndQuery}`, "content-length": 0 });
  res.end();
}
