/** Parses a repository index (v3, v4 or v5 JSON: `{packages:[PackageEntry]}`), per-package errors kept. */
import type { LoadProblem, PackageEntry } from "../model.js";
import { checkEntry } from "./entry.js";

/** Parses index text; a repo-wide problem (invalid JSON, no packages list) comes back as one error. */
export function parseRepositoryIndex(text: string, where: string): { packages: PackageEntry[]; errors: LoadProblem[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { packages: [], errors: [{ message: `${where}: the repository index is not valid JSON (${(error as Error).message})` }] };
  }
  const list = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) {
    return { packages: [], errors: [{ message: `${where}: the repository index must be an object with a "packages" array` }] };
  }
  const packages: PackageEntry[] = [];
  const errors: LoadProblem[] = [];
  list.forEach((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      errors.push({ package: `#${i}`, message: `${where}: packages[${i}] must be an object; skipped` });
      return;
    }
    const entry = checkEntry(item as Record<string, unknown>, `${where} packages[${i}]`, errors);
    if (entry) packages.push(entry);
  });
  return { packages, errors };
}

/** Builds the v5-style index of a set of entries (what GET /repo of a Universe server returns). */
export const toRepositoryIndex = (packages: readonly PackageEntry[]): { packages: PackageEntry[] } => ({ packages: [...packages] });
