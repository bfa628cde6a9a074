/** The in-memory shape of one package release, whatever repository format it came from. */

/** A package entry as a v3–v5 repository index carries it (package.json fields plus the rest). */
export interface PackageEntry {
  packagingVersion: string;
  name: string;
  version: string;
  releaseVersion: number;
  maintainer?: string;
  description?: string;
  tags?: string[];
  selected?: boolean;
  framework?: boolean;
  config?: Record<string, unknown>;
  resource?: Record<string, unknown>;
  /** `v2AppMustacheTemplate` is base64 of the template, as in the index. */
  marathon?: { v2AppMustacheTemplate: string };
  command?: Record<string, unknown>;
  postInstallNotes?: string;
  postUninstallNotes?: string;
  preInstallNotes?: string;
  [key: string]: unknown;
}

/** A problem found while loading a repository or one of its packages. */
export interface LoadProblem {
  /** The package (name/releaseVersion) or file the problem is about; absent for repo-wide errors. */
  package?: string;
  message: string;
}

/** A loaded repository: usable packages plus everything that was wrong, per package. */
export interface LoadedRepository {
  name: string;
  uri: string;
  packages: PackageEntry[];
  errors: LoadProblem[];
}

export const SUPPORTED_PACKAGING = new Set(["2.0", "3.0", "4.0", "5.0"]);

/** The decoded marathon template of an entry, if any. */
export function templateOf(entry: PackageEntry): string | undefined {
  const b64 = entry.marathon?.v2AppMustacheTemplate;
  return typeof b64 === "string" ? Buffer.from(b64, "base64").toString("utf8") : undefined;
}
