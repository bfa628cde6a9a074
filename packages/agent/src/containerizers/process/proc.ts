/**
 * Reads of /proc used to recognise a process across an agent restart (pid + start time, so a
 * recycled pid is never mistaken for the task) and to measure a process without cgroups.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second for /proc times; 100 on every Linux this runs on. */
export const CLOCK_TICKS = 100;

interface ProcStat {
  state: string;
  utime: number;
  stime: number;
  startTime: number;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseProcStat(line);
}

/** Fields after the command name (which may hold spaces and parentheses): state is field 3. */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = line.slice(close + 2).split(" ");
  const num = (i: number): number => Number(fields[i] ?? 0);
  return { state: fields[0] ?? "?", utime: num(11), stime: num(12), startTime: num(19) };
}

/** True when `pid` still names the same live (non-zombie) process that started at `startTime`. */
export function isSameProcessAlive(pid: number, startTime: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== "Z" && stat.state !== "X";
}

/** Resident set size in bytes from /proc/<pid>/status, 0 when gone. */
export function readRssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
