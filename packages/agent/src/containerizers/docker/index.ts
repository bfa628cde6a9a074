export { DockerContainerizer, DOCKER_MISSING, type DockerContainerizerOptions } from "./docker-containerizer.js";
export { exitFrom } from "./exit.js";
export { dockerCreatePlan, dockerName, LABEL, SANDBOX_IN_CONTAINER } from "./docker-spec.js";
