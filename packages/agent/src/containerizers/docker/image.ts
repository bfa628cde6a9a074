/**
 * Makes sure an image is present: a local image is used as is; a missing one (or any with
 * `force_pull_image`) is pulled. A failed pull becomes LaunchError(REASON_CONTAINER_PREPARATION_FAILED)
 * carrying the engine's own message, which is what users need to see ("manifest unknown",
 * "connection refused", "pull access denied" …).
 */
import type Docker from "dockerode";
import { LaunchError } from "../types.js";

export async function ensureImage(docker: Docker, image: string, forcePull: boolean): Promise<"local" | "pulled"> {
  if (!forcePull) {
    const present = await docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (present) return "local";
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = output?.find((event) => event.error !== undefined || event.errorDetail !== undefined);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      });
    });
    return "pulled";
  } catch (err) {
    throw new LaunchError("REASON_CONTAINER_PREPARATION_FAILED", `Failed to pull image '${image}': ${engineMessage(err)}`);
  }
}

/** dockerode errors carry the engine's JSON `{message}` in `json`; fall back to the error text. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return (e?.json?.message ?? e?.message ?? String(err)).trim();
}
