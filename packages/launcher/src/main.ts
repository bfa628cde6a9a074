#!/usr/bin/env node
/** caravel-launch: `up` (`--ha`), `down` and `status` of a whole local cluster; `start --role` for one machine of a larger one. */
import { ConfigError, helpText, loadConfig, parseArgv } from "@caravel/runtime";
import { down, status, up, type Io } from "./commands.js";
import { COMMANDS, LaunchConfig, SUMMARY, type Command } from "./config.js";

const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
// Boolean flags take no value here, so that `--detach up` does not read "up" as the flag's value.
const BOOLEAN = new Set(["--detach", "--random_ports", "--random-ports", "--help", "--ha"]);
const argv = process.argv.slice(2).map((a, i, all) => (BOOLEAN.has(a) && !/^(true|false)$/.test(all[i + 1] ?? "") ? `${a}=true` : a));
const { flags, positional } = parseArgv(argv);

if (flags["help"] !== undefined || positional[0] === "help") {
  io.out(`${helpText("caravel-launch <up|down|status|start>", SUMMARY, LaunchConfig)}\n`);
  process.exit(0);
}
const command = (positional[0] ?? "up") as Command;
if (!COMMANDS.includes(command) || positional.length > 1) {
  io.err(`caravel-launch: unknown command "${positional.join(" ")}"; use one of: ${COMMANDS.join(", ")} (see --help)\n`);
  process.exit(2);
}

let config: LaunchConfig;
try {
  config = loadConfig(LaunchConfig, { argv });
} catch (error) {
  io.err(`caravel-launch: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(2);
}

if (command === "start" && !config.role) {
  io.err(`caravel-launch start: --role is required: master, agent or public-agent (see --help)\n`);
  process.exit(2);
}
if (command === "up" && config.role) {
  io.err(`caravel-launch up: --role belongs to start (one machine of a multi-machine cluster); use start --role ${config.role}\n`);
  process.exit(2);
}
const run = { up, down, status, start: up }[command];
run(config, io).then(
  (code) => process.exit(code),
  (error: unknown) => {
    io.err(`caravel-launch ${command}: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
