import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runContainerizerContract } from "../contract/containerizer.contract.js";
import { ProcessContainerizer } from "./process-containerizer.js";

const root = mkdtempSync(join(tmpdir(), "caravel-process-"));
runContainerizerContract("process", () => new ProcessContainerizer({ runDir: join(root, "runs") }), { workDir: join(root, "sandboxes") });
