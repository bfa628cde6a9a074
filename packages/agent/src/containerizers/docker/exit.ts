/** How a Docker container ended, read from its inspect. */
import type Docker from "dockerode";
import { signalName } from "../process/command.js";
import type { ContainerExit } from "../types.js";

/** How the container ended, from its inspect: OOM first, then signals we caused, then the code. */
export function exitFrom(state: Docker.ContainerInspectInfo | undefined, killed: boolean, memMb: number): ContainerExit {
  if (!state) return { exitCode: null, reason: "REASON_EXECUTOR_TERMINATED", message: "the Docker container vanished before its exit could be read" };
  const code = state.State.ExitCode;
  if (state.State.OOMKilled) {
    return { exitCode: code, oomKilled: true, reason: "REASON_CONTAINER_LIMITATION_MEMORY", message: `Memory limit exceeded: the container used more than its ${memMb} MB and was OOM-killed` };
  }
  if (killed && code > 128 && code < 128 + 32) return { exitCode: null, signal: signalName(code - 128) };
  const exit: ContainerExit = { exitCode: code };
  if (state.State.Error) exit.message = state.State.Error;
  return exit;
}
