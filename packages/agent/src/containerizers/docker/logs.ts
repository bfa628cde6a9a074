/**
 * Copies a container's stdout and stderr into the sandbox files as they come. The engine's log
 * stream is multiplexed (8-byte frame headers) unless the container has a TTY, so it is split with
 * the modem's demuxer. After an agent restart the copy resumes from the files' last modification
 * time, so output produced while the agent was down is not lost and earlier output not repeated
 * (a line in flight at the moment of the crash may be lost or repeated).
 */
import { createWriteStream, statSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";

export interface LogCopy {
  /** Resolves when the engine ended the stream (the container stopped) and the files are flushed. */
  done: Promise<void>;
  stop(): void;
}

/** `since` for the engine (seconds.nanoseconds) from the newest of the sandbox's log files, if any. */
export function resumePoint(sandbox: string): string | undefined {
  let newest = 0;
  for (const name of ["stdout", "stderr"]) {
    try {
      newest = Math.max(newest, statSync(join(sandbox, name)).mtimeMs);
    } catch {
      // Not written yet.
    }
  }
  if (newest === 0) return undefined;
  const seconds = Math.floor(newest / 1000);
  const nanos = Math.round((newest - seconds * 1000) * 1e6) + 1;
  return `${seconds}.${String(nanos).padStart(9, "0")}`;
}

export async function copyLogs(docker: Docker, container: Docker.Container, sandbox: string, since?: string): Promise<LogCopy> {
  const options = { follow: true as const, stdout: true, stderr: true, ...(since ? { since: since as unknown as number } : {}) };
  const stream = (await container.logs(options)) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const out = createWriteStream(join(sandbox, "stdout"), { flags: "a" });
  const err = createWriteStream(join(sandbox, "stderr"), { flags: "a" });
  docker.modem.demuxStream(stream, out, err);
  const finished = (s: NodeJS.WritableStream): Promise<void> => new Promise((resolve) => s.once("close", () => resolve()));
  const done = new Promise<void>((resolve) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      out.end();
      err.end();
      void Promise.all([finished(out), finished(err)]).then(() => resolve());
    };
    stream.once("end", end);
    stream.once("close", end);
    stream.once("error", end);
  });
  return { done, stop: () => stream.destroy() };
}
