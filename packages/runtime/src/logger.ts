/** Structured JSON logs with pino; one named child per component. */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(name: string, options: { level?: string; destination?: string | number } = {}): Logger {
  const level = options.level ?? process.env["CARAVEL_LOG_LEVEL"] ?? "info";
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: options.destination ?? 1, sync: false }));
}

/** A logger that drops everything, for tests. */
export const silentLogger = (): Logger => pino({ level: "silent" });
