/** Paths of the built process binaries (`packages/<pkg>/dist/main.js`). */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file (src/ or dist/ of packages/testing). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Absolute path of `packages/<pkg>/dist/main.js`; throws with the fix when it was not built. */
export function binPath(pkg: string): string {
  const path = join(repoRoot, "packages", pkg, "dist", "main.js");
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist: run pnpm -r build (scripts/bootstrap does it), or pnpm --filter @caravel/${pkg} build`);
  }
  return path;
}

/** Whether `packages/<pkg>/dist/main.js` exists. */
export const hasBin = (pkg: string): boolean => existsSync(join(repoRoot, "packages", pkg, "dist", "main.js"));

/** `shared/fixtures` beside the repository (CI clones the repo with `shared/` next to it). */
export const sharedFixtures: string = process.env["CARAVEL_SHARED_FIXTURES"] ?? join(repoRoot, "..", "shared", "fixtures");
