/**
 * Service accounts published for bootstrap: in a multi-machine cluster each machine's launcher
 * writes one node per component under `<store>/bootstrap/service-accounts/<uid>` (the admin
 * routers' Store, i.e. ZooKeeper), and every admin router imports them as IAM service accounts.
 * Write access to that node therefore grants account creation: ZooKeeper must be reachable from
 * the cluster's machines only (as in DC/OS).
 */
import { z } from "zod";
import { Uid } from "./iam.js";

/** Store path (relative to the admin router's Store root) under which accounts are published. */
export const BOOTSTRAP_SERVICE_ACCOUNTS_PATH = "/bootstrap/service-accounts";

/** One published account: its uid (also the node's name), its RSA public key (PEM) and what it is. */
export const BootstrapServiceAccount = z.object({
  uid: Uid,
  public_key: z.string().min(1, "must not be empty").max(16_384).includes("-----BEGIN PUBLIC KEY-----", { message: "must be a PEM public key (-----BEGIN PUBLIC KEY-----)" }),
  description: z.string().max(512).default(""),
});
export type BootstrapServiceAccount = z.output<typeof BootstrapServiceAccount>;
