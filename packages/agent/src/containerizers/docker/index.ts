export { DockerContainerizer, DOCKER_MISSING, exitFrom, type DockerContainerizerOptions } from "./docker-containerizer.js";
export { dockerCreatePlan, dockerName, LABEL, SANDBOX_IN_CONTAINER } from "./docker-spec.js";
