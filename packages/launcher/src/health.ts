/** Health probes over HTTP: a process is healthy when its health path answers 200. */

export interface Probe {
  healthy: boolean;
  /** "200", "HTTP 503", or why the connection failed. */
  detail: string;
}

export async function probe(url: string, timeoutMs = 2_000): Promise<Probe> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { healthy: res.status === 200, detail: res.status === 200 ? "200" : `HTTP ${res.status}` };
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    return { healthy: false, detail: cause?.code ?? (error as Error).message };
  }
}
