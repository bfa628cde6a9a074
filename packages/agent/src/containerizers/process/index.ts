export { ProcessContainerizer, type ProcessContainerizerOptions } from "./process-containerizer.js";
export { cgroupsAvailable } from "./cgroups.js";
