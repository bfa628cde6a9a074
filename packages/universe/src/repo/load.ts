/**
 * Loads a repository from its URI: a local directory in Universe layout, a local index file, or an
 * HTTP(S) URL serving an index. Never throws: whatever is wrong comes back in `errors`.
 */
import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { LoadedRepository } from "../model.js";
import { readDirectoryRepository } from "./directory.js";
import { parseRepositoryIndex } from "./index-json.js";

/** What Cosmos sends when it fetches a repository: the newest index formats first. */
export const REPO_ACCEPT = [5, 4, 3].map((v) => `application/vnd.dcos.universe.repo+json;charset=utf-8;version=v${v}`).join(",") + ",application/json;q=0.5";

const FETCH_TIMEOUT_MS = 15_000;

function localPath(uri: string): string | undefined {
  if (uri.startsWith("file:")) return fileURLToPath(uri);
  if (uri.startsWith("/")) return uri;
  return undefined;
}

async function loadHttp(uri: string): Promise<Pick<LoadedRepository, "packages" | "errors">> {
  let res: Response;
  try {
    res = await fetch(uri, { headers: { accept: REPO_ACCEPT, "user-agent": "cosmos/0.5.0 dcos/2.2.0" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    return { packages: [], errors: [{ message: `${uri}: could not fetch the repository (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}); check the URL and that the server is reachable` }] };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { packages: [], errors: [{ message: `${uri}: the server answered HTTP ${res.status}; check the repository URL` }] };
  }
  return parseRepositoryIndex(await res.text(), uri);
}

/** Loads the repository named `name` at `uri`. */
export async function loadRepository(name: string, uri: string): Promise<LoadedRepository> {
  const path = localPath(uri);
  let result: Pick<LoadedRepository, "packages" | "errors">;
  if (path !== undefined) {
    const info = await stat(path).catch(() => undefined);
    if (!info) result = { packages: [], errors: [{ message: `${uri}: no such file or directory` }] };
    else if (info.isDirectory()) result = await readDirectoryRepository(path).catch((error: unknown) => ({ packages: [], errors: [{ message: `${uri}: ${(error as Error).message}` }] }));
    else result = parseRepositoryIndex(await readFile(path, "utf8"), uri);
  } else if (/^https?:\/\//.test(uri)) {
    result = await loadHttp(uri);
  } else {
    result = { packages: [], errors: [{ message: `${uri}: unsupported repository URI; use http(s)://, file:// or an absolute path` }] };
  }
  return { name, uri, ...result };
}
