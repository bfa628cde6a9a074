/**
 * Marathon event-bus payloads (`GET /v2/events`, server-sent events). The SSE `event:` name equals
 * the payload's `eventType`; every payload has `eventType` and an ISO `timestamp`.
 */
import { z } from "zod";

export const MARATHON_EVENT_TYPES = [
  "event_stream_attached",
  "event_stream_detached",
  "api_post_event",
  "scheduler_registered_event",
  "scheduler_reregistered_event",
  "scheduler_disconnected_event",
  "status_update_event",
  "instance_changed_event",
  "unknown_instance_terminated_event",
  "instance_health_changed_event",
  "add_health_check_event",
  "remove_health_check_event",
  "failed_health_check_event",
  "health_status_changed_event",
  "unhealthy_instance_kill_event",
  "group_change_success",
  "group_change_failed",
  "deployment_info",
  "deployment_step_success",
  "deployment_step_failure",
  "deployment_success",
  "deployment_failed",
  "deployment_waiting",
  "app_terminated_event",
  "pod_created_event",
  "pod_updated_event",
  "pod_deleted_event",
] as const;
export type MarathonEventType = (typeof MARATHON_EVENT_TYPES)[number];

/** Any event: its type, its time, and type-specific fields. */
export const MarathonEvent = z.looseObject({ eventType: z.string(), timestamp: z.string() });
export type MarathonEvent = { eventType: MarathonEventType; timestamp: string } & Record<string, unknown>;

/** Instance conditions as `instance_changed_event.condition` names them. */
export const INSTANCE_CONDITIONS = [
  "Error",
  "Failed",
  "Finished",
  "Killed",
  "Killing",
  "Running",
  "Staging",
  "Starting",
  "Unreachable",
  "UnreachableInactive",
  "Gone",
  "Dropped",
  "Unknown",
] as const;
export type InstanceCondition = (typeof INSTANCE_CONDITIONS)[number];

/** Formats one SSE frame: `event: <type>\ndata: <json>\n\n`. */
export const sseFrame = (event: MarathonEvent): string => `event: ${event.eventType}\ndata: ${JSON.stringify(event)}\n\n`;

/** Parses SSE text into `{event, data}` frames (for clients and tests). */
export function parseSseFrames(text: string): { event: string; data: string }[] {
  const frames: { event: string; data: string }[] = [];
  for (const block of text.split(/\n\n/)) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length) frames.push({ event, data: data.join("\n") });
  }
  return frames;
}
