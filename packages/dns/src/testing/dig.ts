/** Runs Debian's `dig` against a server and parses what tests need; fails loudly when dig is missing. */
import { execFile } from "node:child_process";

export interface DigResult {
  status: string;
  flags: string[];
  answers: { name: string; ttl: number; type: string; data: string }[];
  authority: { name: string; type: string; data: string }[];
  additional: { name: string; type: string; data: string }[];
  raw: string;
}

const section = (raw: string, title: string) => {
  const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(\\n\\n|$)`).exec(raw);
  return (m?.[1] ?? "")
    .split("\n")
    .filter((l) => l && !l.startsWith(";"))
    .map((l) => l.split(/\s+/))
    .map((p) => ({ name: p[0]!, ttl: Number(p[1]), type: p[3]!, data: p.slice(4).join(" ") }));
};

export function dig(port: number, name: string, type = "A", extra: string[] = [], server = "127.0.0.1"): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile("dig", [`@${server}`, "-p", String(port), name, type, "+time=3", "+tries=1", ...extra], { timeout: 15_000 }, (error, stdout) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(new Error("dig is not installed: apt-get install -y bind9-dnsutils"));
      }
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? "NONE";
      const flags = (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? "").trim().split(/\s+/);
      const add = section(stdout, "ADDITIONAL").filter((r) => r.type !== "OPT");
      resolve({ status, flags, answers: section(stdout, "ANSWER"), authority: section(stdout, "AUTHORITY"), additional: add, raw: stdout });
      return undefined;
    });
  });
}

/** Polls `check` until it returns true (generous timeout; no timed assertions). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
