/** Mesos-DNS's HTTP API shapes (dcos-services.md §3.5), served by caravel-dns on 8123. */

/** `GET /v1/version`. */
export interface DnsVersion {
  Service: string;
  URL: string;
  Version: string;
}

/** One `GET /v1/hosts/{host}` entry; a miss is one entry with both fields empty. */
export interface DnsHostEntry {
  host: string;
  ip: string;
}

/** One `GET /v1/services/{service}` entry (port is a string, as Mesos-DNS sends it). */
export interface DnsServiceEntry {
  service: string;
  host: string;
  ip: string;
  port: string;
}

/** `GET /v1/enumerate`. */
export interface DnsEnumeration {
  frameworks: {
    name: string;
    tasks: { name: string; id: string; records: { name: string; host: string; rtype: "A" | "AAAA" | "SRV" }[] }[];
  }[];
}

export const EMPTY_HOST_ENTRY: DnsHostEntry = Object.freeze({ host: "", ip: "" });
export const EMPTY_SERVICE_ENTRY: DnsServiceEntry = Object.freeze({ service: "", host: "", ip: "", port: "" });
