/**
 * `docker exec` for COMMAND health checks: runs in the container's working directory (the sandbox)
 * with its environment; the output stream is demultiplexed and capped. A timeout answers 124 (as
 * coreutils' `timeout`), leaving the engine to reap the command.
 */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { CommandInfo } from "@caravel/api";

const MAX_OUTPUT = 64 * 1024;

export async function dockerExec(container: Docker.Container, command: CommandInfo, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const value = command.value ?? "";
  const Cmd = command.shell !== false ? ["/bin/sh", "-c", value] : [value, ...(command.arguments ?? []).slice(1)];
  const env = (command.environment?.variables ?? []).filter((v) => v.value !== undefined).map((v) => `${v.name}=${v.value}`);
  const exec = await container.exec({ Cmd, AttachStdout: true, AttachStderr: true, ...(env.length > 0 ? { Env: env } : {}) });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = "";
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => {
    if (output.length < MAX_OUTPUT) output += chunk.toString("utf8").slice(0, MAX_OUTPUT - output.length);
  });
  container.modem.demuxStream(stream, sink, sink);
  const finished = new Promise<boolean>((resolve) => {
    stream.once("end", () => resolve(true));
    stream.once("close", () => resolve(true));
    stream.once("error", () => resolve(true));
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const done = await Promise.race([finished, timedOut]);
  clearTimeout(timer);
  if (!done) {
    stream.destroy();
    return { exitCode: 124, output: `${output}\ncommand timed out after ${timeoutMs} ms` };
  }
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? 1, output };
}
