/**
 * The door in front of the API when several Marathons run: the leader serves once it has recovered
 * its state; a follower proxies to the leader (answering `/v2/leader` itself), and says 503 while no
 * leader is known. Liveness and metrics are always answered by the process asked.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson, type Logger } from "@caravel/runtime";
import type { MarathonLeadership } from "./leadership.js";
import { answeredLocally, proxyToLeader } from "./proxy.js";

export interface GateOptions {
  leadership: MarathonLeadership;
  /** The leader has recovered its state and may answer. */
  ready(): boolean;
  /** This Marathon's `host:port`. */
  self(): string;
  log: Logger;
  /** Steps down (DELETE /v2/leader on the leader of several Marathons). */
  abdicate?: () => void;
}

/** Returns a function that handles the request (true) or lets it through to the API (false). */
export function leaderGate(o: GateOptions): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (answeredLocally(pathname)) return false;
    if (o.leadership.isLeader()) {
      if (pathname === "/v2/leader" && req.method === "DELETE" && o.leadership.ha && o.abdicate) {
        // Answer first: the leader goes away right after, and another Marathon is elected.
        sendJson(res, 200, { message: "Leadership abdicated" });
        res.on("finish", () => o.abdicate?.());
        return true;
      }
      if (o.ready()) return false;
      sendJson(res, 503, { message: "this Marathon was just elected and is loading its state; retry shortly" });
      return true;
    }
    const leader = o.leadership.leaderHostPort();
    if (pathname === "/v2/leader" && req.method === "GET") {
      if (leader) sendJson(res, 200, { leader });
      else sendJson(res, 404, { message: "There is no leader" });
      return true;
    }
    if (!leader || leader === o.self()) {
      sendJson(res, 503, { message: "no leading Marathon is known right now (an election is under way); retry shortly" });
      return true;
    }
    proxyToLeader(req, res, leader, o.self(), o.log);
    return true;
  };
}
