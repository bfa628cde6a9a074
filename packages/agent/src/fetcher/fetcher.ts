/**
 * The fetcher: puts a task's CommandInfo.uris into its sandbox before the task starts, as Mesos'
 * fetcher does. http(s) URLs are downloaded, file:// URIs and absolute paths copied; `executable`
 * sets the mode to 0755 (and, as in Mesos, an executable is never extracted); `extract` unpacks
 * tar/tar.gz/tar.bz2/tar.xz/zip archives into the sandbox beside the archive; `cache` keeps a copy
 * under the agent's cache directory keyed by URI so the next task skips the download;
 * `output_file` renames the result. Any failure becomes a LaunchError naming the URI.
 */
import { createWriteStream } from "node:fs";
import { chmod, copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CommandInfo } from "@caravel/api";
import { LaunchError } from "../containerizers/types.js";
import { extractArchive } from "./extract.js";
import { archiveKind, cacheKey, classifyUri, outputName, type UriSource } from "./uri.js";

export type FetchUri = CommandInfo["uris"][number];

export interface FetchOptions {
  /** Sandbox to fetch into (exists). */
  sandbox: string;
  /** Directory for `cache: true` URIs (created on demand); without it `cache` is ignored. */
  cacheDir?: string;
  /** The task's user, part of the cache key as in Mesos. */
  user?: string;
  /** Download timeout per URI. */
  timeoutMs?: number;
}

export interface FetchedUri {
  uri: string;
  /** Sandbox-relative path of the fetched file. */
  path: string;
  fromCache: boolean;
  extracted: boolean;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Fetches every URI in order; the first failure rejects with REASON_CONTAINER_LAUNCH_FAILED. */
export async function fetchUris(uris: readonly FetchUri[], options: FetchOptions): Promise<FetchedUri[]> {
  const results: FetchedUri[] = [];
  for (const uri of uris) {
    try {
      results.push(await fetchOne(uri, options));
    } catch (err) {
      const why = describe(err);
      throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `Failed to fetch '${uri.value}': ${why}`);
    }
  }
  return results;
}

async function fetchOne(uri: FetchUri, options: FetchOptions): Promise<FetchedUri> {
  const source = classifyUri(uri.value);
  const name = outputName(uri.value, uri.output_file);
  const target = join(options.sandbox, name);
  await mkdir(dirname(target), { recursive: true });
  let fromCache = false;
  if (uri.cache === true && options.cacheDir !== undefined) {
    const cached = join(options.cacheDir, cacheKey(uri.value, options.user));
    if (!(await exists(cached))) {
      await mkdir(options.cacheDir, { recursive: true });
      await retrieve(source, cached, options.timeoutMs);
    } else {
      fromCache = true;
    }
    await copyFile(cached, target);
  } else {
    await retrieve(source, target, options.timeoutMs);
  }
  const executable = uri.executable === true;
  if (executable) await chmod(target, 0o755);
  const kind = archiveKind(name);
  const extract = !executable && uri.extract !== false && kind !== undefined;
  if (extract && kind) await extractArchive(target, kind, dirname(target));
  return { uri: uri.value, path: name, fromCache, extracted: extract };
}

/** Writes the source to `target` through a temporary name so a half download never looks complete. */
async function retrieve(source: UriSource, target: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const partial = `${target}.fetching-${process.pid}`;
  try {
    if (source.kind === "file") {
      const info = await stat(source.path).catch(() => {
        throw new Error(`no such file: ${source.path}`);
      });
      if (!info.isFile()) throw new Error(`${source.path} is not a regular file`);
      await copyFile(source.path, partial);
    } else {
      const response = await fetch(source.url, { redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok || response.body === null) {
        throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      }
      await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), createWriteStream(partial));
    }
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** undici reports network errors as "fetch failed" with the real reason in `cause`. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && cause !== err.message ? `${err.message}: ${cause}` : err.message;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
