/** HTTPS material: the given PEM files, or a self-signed certificate generated once with openssl. */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

export async function loadOrCreateTls(options: { cert?: string; key?: string; workDir: string; hostname: string }): Promise<{ cert: Buffer; key: Buffer }> {
  if (options.cert || options.key) {
    if (!options.cert || !options.key) throw new Error("--tls_cert and --tls_key go together; give both, or neither for a generated certificate");
    return { cert: await readFile(options.cert), key: await readFile(options.key) };
  }
  const dir = join(options.workDir, "tls");
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  if (!existsSync(cert) || !existsSync(key)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const san = /^[\d.]+$/.test(options.hostname) ? `IP:${options.hostname}` : `DNS:${options.hostname}`;
    await promisify(execFile)("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825", "-subj", "/CN=caravel-admin-router", "-addext", `subjectAltName=${san},DNS:localhost,IP:127.0.0.1`, "-keyout", key, "-out", cert]).catch((error: Error) => {
      throw new Error(`cannot generate a self-signed certificate with openssl (apt-get install -y openssl): ${error.message}`);
    });
  }
  return { cert: await readFile(cert), key: await readFile(key) };
}
