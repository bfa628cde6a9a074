/**
 * Archive extraction into the sandbox. Tarballs go through the system `tar` (it handles gzip, bzip2
 * and xz, which the npm `tar` package does not); zip files through yauzl, with every entry's path
 * checked so that an archive cannot write outside the sandbox ("zip slip").
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import type { ArchiveKind } from "./uri.js";

const TAR_FLAGS: Record<Exclude<ArchiveKind, "zip">, string> = {
  tar: "-xf",
  "tar.gz": "-xzf",
  "tar.bz2": "-xjf",
  "tar.xz": "-xJf",
};

/** Extracts `archive` into `dir`. Rejects with the tool's own message on a corrupt archive. */
export async function extractArchive(archive: string, kind: ArchiveKind, dir: string): Promise<void> {
  if (kind === "zip") return extractZip(archive, dir);
  // --no-same-owner: as root tar would otherwise restore the archive's uids; Mesos' fetcher doesn't.
  await run("tar", [TAR_FLAGS[kind], archive, "-C", dir, "--no-same-owner"]);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${stderr.trim().slice(0, 500)}`)),
    );
  });
}

async function extractZip(archive: string, dir: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(archive, { lazyEntries: true, autoClose: true }, (err, file) => (err ? reject(err) : resolve(file))),
  );
  const root = normalize(dir) + sep;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      zip.close();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    zip.on("error", fail);
    zip.on("end", () => resolve());
    zip.on("entry", (entry: yauzl.Entry) => {
      const target = normalize(join(dir, entry.fileName));
      if (!target.startsWith(root)) return fail(new Error(`zip entry '${entry.fileName}' escapes the sandbox`));
      // Unix permission bits live in the upper half of externalFileAttributes when made on Unix.
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      if (entry.fileName.endsWith("/")) {
        mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err);
        mkdir(dirname(target), { recursive: true })
          .then(() => pipeline(stream, createWriteStream(target)))
          .then(() => (mode !== 0 ? chmod(target, mode) : undefined))
          .then(() => zip.readEntry(), fail);
      });
    });
    zip.readEntry();
  });
}
