/** Reads a repository in Universe's directory layout: repo/packages/<L>/<name>/<releaseVersion>/. */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LoadProblem, PackageEntry } from "../model.js";
import { checkEntry } from "./entry.js";

async function readJsonFile(path: string): Promise<unknown> {
  // JSON.parse keeps the last of duplicate keys, which is what Universe's Python tooling does too.
  return JSON.parse(await readFile(path, "utf8")) as unknown;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function dirs(path: string): Promise<string[]> {
  const items = await readdir(path, { withFileTypes: true });
  return items.filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** Loads one release directory into a raw entry (throws on a missing or unparsable file). */
async function readRelease(dir: string, release: string): Promise<Record<string, unknown>> {
  const pkg = (await readJsonFile(join(dir, "package.json"))) as Record<string, unknown>;
  const raw: Record<string, unknown> = { ...pkg, releaseVersion: Number(release) };
  for (const [file, key] of [["config.json", "config"], ["resource.json", "resource"], ["command.json", "command"]] as const) {
    if (await exists(join(dir, file))) raw[key] = await readJsonFile(join(dir, file));
  }
  const template = join(dir, "marathon.json.mustache");
  if (await exists(template)) raw.marathon = { v2AppMustacheTemplate: (await readFile(template)).toString("base64") };
  return raw;
}

/** Reads every package under `root` (the folder holding `packages/`, or `packages/` itself). */
export async function readDirectoryRepository(root: string): Promise<{ packages: PackageEntry[]; errors: LoadProblem[] }> {
  const base = (await exists(join(root, "packages"))) ? join(root, "packages") : root;
  const packages: PackageEntry[] = [];
  const errors: LoadProblem[] = [];
  for (const letter of await dirs(base)) {
    // Both the lettered layout and a flat packages/<name>/<n>/ layout (as in the fixtures) are accepted.
    const letterDir = join(base, letter);
    const flat = await exists(join(letterDir, (await dirs(letterDir))[0] ?? "-", "package.json"));
    const names = flat ? [letter] : await dirs(letterDir);
    for (const name of names) {
      const nameDir = flat ? letterDir : join(letterDir, name);
      for (const release of await dirs(nameDir)) {
        const where = join(nameDir, release);
        if (!/^\d+$/.test(release)) {
          errors.push({ package: `${name}/${release}`, message: `${where}: release directory must be a non-negative integer` });
          continue;
        }
        try {
          const entry = checkEntry(await readRelease(where, release), where, errors);
          if (entry) packages.push(entry);
        } catch (error) {
          errors.push({ package: `${name}/${release}`, message: `${where}: ${(error as Error).message}; the package is skipped` });
        }
      }
    }
  }
  return { packages, errors };
}
