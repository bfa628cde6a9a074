/** The `/files` endpoints with Mesos' answers (mesos-core.md §5.4), over `confinedPath`. */
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename, extname } from "node:path";
import { CaravelError } from "@caravel/api";
import type { Router } from "@caravel/runtime";
import { confinedPath, type FileRoots } from "./confine.js";
import { sendMaybeJsonp } from "../http/jsonp.js";

export const READ_CAP = 64 * 1024;

function modeString(s: Stats): string {
  const type = s.isDirectory() ? "d" : s.isSymbolicLink() ? "l" : "-";
  const bits = "rwxrwxrwx";
  let out = type;
  for (let i = 0; i < 9; i++) out += s.mode & (1 << (8 - i)) ? bits[i] : "-";
  return out;
}

function fileEntry(path: string, s: Stats) {
  return { path, nlink: s.nlink, size: s.size, mtime: s.mtimeMs / 1000, mode: modeString(s), uid: String(s.uid), gid: String(s.gid) };
}

function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw new CaravelError("INVALID_REQUEST", `query parameter '${name}' must be an integer; got ${JSON.stringify(raw)}`, { path: name });
  const n = Number(raw);
  if (n < -1) throw new CaravelError("INVALID_REQUEST", `query parameter '${name}' must be -1 or more; got ${n}`, { path: name });
  return n;
}

const CONTENT_TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".log": "text/plain",
  ".json": "application/json",
  ".html": "text/html",
  ".js": "application/javascript",
  ".css": "text/css",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".zip": "application/zip",
};

export interface FilesDeps {
  roots(): FileRoots;
  /** Virtual path → real path, for /files/debug. */
  attached(): Record<string, string>;
}

export function registerFiles(router: Router, deps: FilesDeps): void {
  const browse = async (_req: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL) => {
    const requested = url.searchParams.get("path");
    const real = await confinedPath(requested, deps.roots());
    const s = await stat(real);
    const base = requested!.replace(/\/+$/, "");
    if (!s.isDirectory()) return sendMaybeJsonp(res, url, [fileEntry(base, s)]);
    const names = await readdir(real);
    const entries = await Promise.all(
      names.sort().map(async (name) => {
        const st = await stat(`${real}/${name}`).catch(() => undefined);
        return st ? fileEntry(`${base}/${name}`, st) : undefined;
      }),
    );
    sendMaybeJsonp(res, url, entries.filter(Boolean));
  };

  const read = async (_req: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL) => {
    const real = await confinedPath(url.searchParams.get("path"), deps.roots());
    const offset = intParam(url, "offset");
    const length = intParam(url, "length");
    const s = await stat(real);
    if (s.isDirectory()) throw new CaravelError("INVALID_REQUEST", "Cannot read a directory.", { path: "path" });
    if (offset === undefined || offset === -1) return sendMaybeJsonp(res, url, { offset: s.size, data: "" });
    if (offset >= s.size) return sendMaybeJsonp(res, url, { offset, data: "" });
    const want = Math.min(length === undefined || length === -1 ? READ_CAP : length, READ_CAP, s.size - offset);
    const handle = await open(real, "r");
    try {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buf, 0, want, offset);
      sendMaybeJsonp(res, url, { offset, data: buf.subarray(0, bytesRead).toString("utf8") });
    } finally {
      await handle.close();
    }
  };

  const download = async (_req: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL) => {
    const real = await confinedPath(url.searchParams.get("path"), deps.roots());
    const s = await stat(real);
    if (s.isDirectory()) throw new CaravelError("INVALID_REQUEST", "Cannot download a directory.", { path: "path" });
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(real)] ?? "application/octet-stream",
      "content-length": s.size,
      "content-disposition": `attachment; filename="${basename(real).replace(/"/g, "")}"`,
    });
    createReadStream(real).pipe(res);
  };

  const debug = (_req: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL) => sendMaybeJsonp(res, url, deps.attached());

  for (const prefix of ["", "/slave(1)"]) {
    router.on("GET", `${prefix}/files/browse`, browse).on("GET", `${prefix}/files/browse.json`, browse);
    router.on("GET", `${prefix}/files/read`, read).on("GET", `${prefix}/files/read.json`, read);
    router.on("GET", `${prefix}/files/download`, download).on("GET", `${prefix}/files/download.json`, download);
    router.on("GET", `${prefix}/files/debug`, debug).on("GET", `${prefix}/files/debug.json`, debug);
  }
}
