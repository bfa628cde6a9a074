/** Turns raw package data (from a directory or an index) into a checked PackageEntry. */
import { SUPPORTED_PACKAGING, type LoadProblem, type PackageEntry } from "../model.js";
import { validateConfigJson, validatePackageJson, validateResourceJson } from "./validate.js";

const NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;

/** Checks one entry: fatal problems drop it; schema complaints are reported but keep it usable. */
export function checkEntry(raw: Record<string, unknown>, where: string, problems: LoadProblem[]): PackageEntry | undefined {
  const label = `${typeof raw.name === "string" ? raw.name : "?"}/${String(raw.releaseVersion ?? "?")}`;
  const fatal = (message: string): undefined => {
    problems.push({ package: label, message: `${where}: ${message}; the package is skipped` });
    return undefined;
  };
  const pv = raw.packagingVersion;
  if (typeof pv !== "string" || !SUPPORTED_PACKAGING.has(pv)) {
    return fatal(`unknown packagingVersion ${JSON.stringify(pv)} (supported: 2.0, 3.0, 4.0, 5.0)`);
  }
  if (typeof raw.name !== "string" || !NAME.test(raw.name)) return fatal(`name ${JSON.stringify(raw.name)} must match ^[a-z][a-z0-9-]*[a-z0-9]$`);
  if (typeof raw.version !== "string" || raw.version === "") return fatal("version must be a non-empty string");
  const release = Number(raw.releaseVersion);
  if (!Number.isInteger(release) || release < 0) return fatal(`releaseVersion ${JSON.stringify(raw.releaseVersion)} must be a non-negative integer`);
  if (pv === "2.0" && raw.marathon === undefined) return fatal("packagingVersion 2.0 requires marathon.json.mustache");
  if ((pv === "4.0" || pv === "5.0") && raw.command !== undefined) return fatal(`command.json is not allowed in packagingVersion ${pv}`);

  const pkgOnly: Record<string, unknown> = { ...raw };
  for (const k of ["releaseVersion", "config", "resource", "marathon", "command"]) delete pkgOnly[k];
  const soft = [...validatePackageJson(pkgOnly)];
  if (raw.config !== undefined) soft.push(...validateConfigJson(raw.config));
  if (raw.resource !== undefined) soft.push(...validateResourceJson(raw.resource));
  for (const message of soft) problems.push({ package: label, message: `${where}: ${message} (package kept)` });
  return { ...raw, releaseVersion: release } as PackageEntry;
}
