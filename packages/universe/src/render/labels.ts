/** The `DCOS_PACKAGE_*` labels Cosmos adds to every installed app, and their decoding for /package/list. */
import { gzipSync, gunzipSync } from "node:zlib";
import type { PackageEntry } from "../model.js";

const b64 = (text: string | Buffer): string => Buffer.from(text).toString("base64");

/** Fields of the package definition that /package/list shows (no config, template or resource). */
export function packageMetadata(entry: PackageEntry): Record<string, unknown> {
  const keep = ["packagingVersion", "name", "version", "maintainer", "description", "tags", "selected", "scm", "website", "framework", "preInstallNotes", "postInstallNotes", "postUninstallNotes", "licenses", "releaseVersion"];
  const out: Record<string, unknown> = {};
  for (const k of keep) if (entry[k] !== undefined) out[k] = entry[k];
  return out;
}

/** Media version of the stored package definition: v4 for 4.0+, v3 below, as Cosmos writes it. */
const definitionVersion = (p: string): string => (p === "4.0" || p === "5.0" ? "v4" : "v3");

/** Builds the non-overridable labels. `frameworkName` is set for framework packages. */
export function packageLabels(entry: PackageEntry, source: string, userOptions: Record<string, unknown> | undefined, frameworkName?: string): Record<string, string> {
  const envelope = {
    metadata: {
      "Content-Type": `application/vnd.dcos.universe.package+json;charset=utf-8;version=${definitionVersion(entry.packagingVersion)}`,
      "Content-Encoding": "gzip",
    },
    data: b64(gzipSync(JSON.stringify(entry))),
  };
  const labels: Record<string, string> = {
    DCOS_PACKAGE_METADATA: b64(JSON.stringify(packageMetadata(entry))),
    DCOS_PACKAGE_REGISTRY_VERSION: "2.0",
    DCOS_PACKAGE_NAME: entry.name,
    DCOS_PACKAGE_VERSION: entry.version,
    DCOS_PACKAGE_SOURCE: source,
    DCOS_PACKAGE_RELEASE: String(entry.releaseVersion),
    DCOS_PACKAGE_OPTIONS: b64(JSON.stringify(userOptions ?? {})),
    DCOS_PACKAGE_DEFINITION: b64(JSON.stringify(envelope)),
  };
  if (entry.command !== undefined) labels.DCOS_PACKAGE_COMMAND = b64(JSON.stringify(entry.command));
  if (frameworkName) labels.DCOS_PACKAGE_FRAMEWORK_NAME = frameworkName;
  return labels;
}

/** Decodes the package stored in an app's labels (definition envelope first, metadata as fallback). */
export function decodePackageLabels(labels: Record<string, string>): Record<string, unknown> | undefined {
  try {
    if (labels.DCOS_PACKAGE_DEFINITION) {
      const envelope = JSON.parse(Buffer.from(labels.DCOS_PACKAGE_DEFINITION, "base64").toString("utf8")) as { data: string; metadata?: Record<string, string> };
      const raw = Buffer.from(envelope.data, "base64");
      const text = envelope.metadata?.["Content-Encoding"] === "gzip" ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
      return JSON.parse(text) as Record<string, unknown>;
    }
    if (labels.DCOS_PACKAGE_METADATA) return JSON.parse(Buffer.from(labels.DCOS_PACKAGE_METADATA, "base64").toString("utf8")) as Record<string, unknown>;
  } catch {
    // A hand-edited label must not break listing; fall through to the bare name/version.
  }
  if (!labels.DCOS_PACKAGE_NAME) return undefined;
  return { name: labels.DCOS_PACKAGE_NAME, version: labels.DCOS_PACKAGE_VERSION ?? "" };
}

/** The user's options stored in DCOS_PACKAGE_OPTIONS; {} when absent or not a JSON object (a hand-edited label). */
export function decodeOptionsLabel(label: string | undefined): Record<string, unknown> {
  if (!label) return {};
  try {
    const value = JSON.parse(Buffer.from(label, "base64").toString("utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
