/**
 * Package rendering as a pure function: options → context → mustache (no HTML escaping, Cosmos'
 * value preparation, the asJson lambda) → a JSON object → decorated with DCOS_PACKAGE_* labels.
 */
import Mustache from "mustache";
import type { PackageEntry } from "../model.js";
import { templateOf } from "../model.js";
import { CosmosError } from "../errors.js";
import { asJsonText, prepareValue } from "./prepare.js";
import { configDefaults, deepMerge, validateOptions } from "./options.js";
import { packageLabels } from "./labels.js";

export interface RenderInput {
  entry: PackageEntry;
  /** The repository URI, recorded in DCOS_PACKAGE_SOURCE. */
  source: string;
  options?: Record<string, unknown> | undefined;
  appId?: string | undefined;
}

export interface RenderOutput {
  /** The Marathon app, or undefined for a package with no template (CLI-only). */
  marathonJson: Record<string, unknown> | undefined;
  /** The merged options the template saw. */
  resolvedOptions: Record<string, unknown>;
}

/** Merges defaults and user options and validates them; throws JsonSchemaMismatch / OptionsNotAllowed. */
export function resolveOptions(entry: PackageEntry, options: Record<string, unknown> | undefined): Record<string, unknown> {
  const hasOptions = options !== undefined && Object.keys(options).length > 0;
  if (!entry.config) {
    if (hasOptions) throw new CosmosError("OptionsNotAllowed", `package ${entry.name} has no config.json, so it takes no options; remove "options" from the request`, 400);
    return {};
  }
  const merged = deepMerge(configDefaults(entry.config), options ?? {}) as Record<string, unknown>;
  let problems;
  try {
    problems = validateOptions(entry.config, merged);
  } catch (error) {
    throw new CosmosError("InvalidPackage", `package ${entry.name} has a config.json that is not a usable JSON schema: ${(error as Error).message}`, 400);
  }
  if (problems.length > 0) {
    const text = problems.map((p) => `${p.path}: ${p.message}${p.actual === undefined ? "" : ` (got ${JSON.stringify(p.actual)})`}`).join("; ");
    throw new CosmosError("JsonSchemaMismatch", `options do not match the package's config.json: ${text}; fix them and retry (see /package/describe for the schema)`, 400, {
      errors: problems,
    });
  }
  return merged;
}

/** Mustache tags that cannot be parsed are a package bug, not a server crash. */
function renderTemplate(template: string, context: Record<string, unknown>, raw: unknown): string {
  const view = {
    ...context,
    asJson: () => (text: string) => asJsonText(raw, text),
  };
  return Mustache.render(template, view, undefined, { escape: (v: unknown) => String(v) });
}

/** Renders a package to its Marathon app. Pure: same input, same output. */
export function renderPackage(input: RenderInput): RenderOutput {
  const { entry } = input;
  const resolved = resolveOptions(entry, input.options);
  const template = templateOf(entry);
  if (template === undefined) return { marathonJson: undefined, resolvedOptions: resolved };
  const raw = deepMerge(resolved, { resource: entry.resource ?? {} }) as Record<string, unknown>;
  let text: string;
  try {
    text = renderTemplate(template, prepareValue(raw) as Record<string, unknown>, raw);
  } catch (error) {
    throw new CosmosError("MarathonTemplateMustBeJsonObject", `the marathon.json.mustache of ${entry.name} ${entry.version} is not a valid mustache template: ${(error as Error).message}`, 400);
  }
  let app: unknown;
  try {
    app = JSON.parse(text);
  } catch (error) {
    throw new CosmosError("MarathonTemplateMustBeJsonObject", `the rendered marathon.json of ${entry.name} ${entry.version} is not valid JSON (${(error as Error).message}); check the options' types`, 400, { rendered: text.slice(0, 4000) });
  }
  if (typeof app !== "object" || app === null || Array.isArray(app)) {
    throw new CosmosError("MarathonTemplateMustBeJsonObject", `the rendered marathon.json of ${entry.name} ${entry.version} must be a JSON object`, 400);
  }
  const out = { ...(app as Record<string, unknown>) };
  if (input.appId !== undefined) out.id = input.appId;
  const own = typeof out.labels === "object" && out.labels !== null && !Array.isArray(out.labels) ? (out.labels as Record<string, unknown>) : {};
  const frameworkName = entry.framework ? frameworkNameOf(own, resolved) : undefined;
  out.labels = { ...own, ...packageLabels(entry, input.source, input.options, frameworkName) };
  return { marathonJson: out, resolvedOptions: resolved };
}

/** A framework's name: the template's own label, else `service.name`, the convention of framework packages. */
function frameworkNameOf(labels: Record<string, unknown>, options: Record<string, unknown>): string | undefined {
  if (typeof labels.DCOS_PACKAGE_FRAMEWORK_NAME === "string") return labels.DCOS_PACKAGE_FRAMEWORK_NAME;
  const service = options.service as Record<string, unknown> | undefined;
  return typeof service?.name === "string" ? service.name : undefined;
}
