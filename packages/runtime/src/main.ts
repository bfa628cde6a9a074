/**
 * The common life of a process's `main.ts`: `--help`, config read once, a JSON logger, start, and a
 * clean stop on SIGTERM/SIGINT. A bad flag exits 2 with the message; a failed start exits 1.
 */
import type { z } from "zod";
import { ConfigError, helpText, loadConfig } from "./config.js";
import { onShutdown } from "./http.js";
import { createLogger, type Logger } from "./logger.js";

export interface ProcessSpec<T extends z.ZodObject> {
  /** Program name, e.g. "caravel-master"; also the logger's name. */
  name: string;
  /** One line for `--help`. */
  summary: string;
  schema: T;
}

/** Runs `start` with the validated config; what it returns is called on shutdown. */
export async function runProcess<T extends z.ZodObject>(
  spec: ProcessSpec<T>,
  start: (config: Readonly<z.output<T>>, log: Logger) => Promise<() => Promise<void>>,
): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(helpText(spec.name, spec.summary, spec.schema));
    process.exit(0);
  }
  try {
    const config = loadConfig(spec.schema);
    const level = (config as { log_level?: string }).log_level;
    const log = createLogger(spec.name, level ? { level } : {});
    onShutdown(await start(config, log), log);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${spec.name}: ${error.message}`);
      process.exit(2);
    }
    console.error(`${spec.name} failed to start:`, error);
    process.exit(1);
  }
}
