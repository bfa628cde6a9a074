/**
 * Pure decisions of the fetcher: what kind of URI a CommandInfo.URI names, the file name it lands
 * under in the sandbox, whether it is an archive to extract, and its cache key. No I/O here.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";

export type UriSource =
  | { kind: "http"; url: string }
  | { kind: "file"; path: string };

export type ArchiveKind = "tar" | "tar.gz" | "tar.bz2" | "tar.xz" | "zip";

/** Parses a URI value as Mesos' fetcher accepts it: http(s)://, file:// or a plain absolute path. */
export function classifyUri(value: string): UriSource {
  const trimmed = value.trim();
  if (trimmed === "") throw new Error("the URI is empty; give an http(s)://, file:// URI or an absolute path");
  if (/^https?:\/\//i.test(trimmed)) return { kind: "http", url: trimmed };
  if (/^file:\/\//i.test(trimmed)) {
    const url = new URL(trimmed);
    if (url.host !== "" && url.host !== "localhost") {
      throw new Error(`file:// URIs must name a local file (file:///path), not host '${url.host}'`);
    }
    return { kind: "file", path: decodeURIComponent(url.pathname) };
  }
  if (trimmed.startsWith("/")) return { kind: "file", path: trimmed };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  if (scheme) throw new Error(`unsupported URI scheme '${scheme}'; use http, https, file or an absolute path`);
  throw new Error("relative paths are not fetchable; use an absolute path or a file:// URI");
}

/** The base name of the URI's path (query and fragment stripped), as Mesos names the fetched file. */
export function baseName(value: string): string {
  const source = classifyUri(value);
  const path = source.kind === "http" ? new URL(source.url).pathname : source.path;
  const name = posix.basename(decodeURIComponentSafe(path));
  if (name === "" || name === "." || name === "..") {
    throw new Error("the URI's path has no file name; set output_file to name the fetched file");
  }
  return name;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Validates `output_file`: a relative path inside the sandbox. Mesos allows sub-directories;
 * anything escaping the sandbox is refused.
 */
export function outputName(value: string, outputFile: string | undefined): string {
  if (outputFile === undefined || outputFile === "") return baseName(value);
  const normal = posix.normalize(outputFile);
  if (normal.startsWith("/") || normal === ".." || normal.startsWith("../") || normal === ".") {
    throw new Error(`output_file '${outputFile}' must be a relative path inside the sandbox`);
  }
  return normal;
}

/** The archive format a file name implies, or undefined when it is not one the fetcher extracts. */
export function archiveKind(name: string): ArchiveKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) return "tar.gz";
  if (lower.endsWith(".tar.bz2") || lower.endsWith(".tbz2")) return "tar.bz2";
  if (lower.endsWith(".tar.xz") || lower.endsWith(".txz")) return "tar.xz";
  if (lower.endsWith(".tar")) return "tar";
  if (lower.endsWith(".zip")) return "zip";
  return undefined;
}

/** Cache entries are keyed by (user, URI) as in Mesos, hashed so that any URI makes a safe name. */
export function cacheKey(value: string, user = ""): string {
  return createHash("sha256").update(`${user}\0${value.trim()}`).digest("hex").slice(0, 40);
}
