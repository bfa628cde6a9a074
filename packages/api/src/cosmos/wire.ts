/** Cosmos request bodies (zod). Unknown fields are tolerated, as Cosmos' decoders do. */
import { z } from "zod";

const options = z.record(z.string(), z.unknown());
const name = z.string().min(1, "packageName must be a non-empty string");

export const SearchRequest = z.object({ query: z.string().optional() });
export const DescribeRequest = z.object({ packageName: name, packageVersion: z.string().optional() });
export const ListVersionsRequest = z.object({ packageName: name, includePackageVersions: z.boolean().optional() });
export const RenderRequest = z.object({
  packageName: name,
  packageVersion: z.string().optional(),
  options: options.optional(),
  appId: z.string().optional(),
});
export const InstallRequest = RenderRequest.extend({ managerId: z.string().optional() });
export const UninstallRequest = z.object({
  packageName: name,
  appId: z.string().optional(),
  all: z.boolean().optional(),
  packageVersion: z.string().optional(),
  managerId: z.string().optional(),
});
export const ListRequest = z.object({ packageName: z.string().optional(), appId: z.string().optional() });
export const RepositoryAddRequest = z.object({
  name: z.string().min(1, "name must be a non-empty string"),
  uri: z.string().min(1, "uri must be a non-empty string"),
  index: z.number().int().min(0).optional(),
});
export const RepositoryDeleteRequest = z.object({ name: z.string().optional(), uri: z.string().optional() });

/** `/service/describe` (Admin Router: `/cosmos/service/describe`): an installed app's package and options. */
export const ServiceDescribeRequest = z.object({
  appId: z.string().min(1, "appId must be the id of an app installed from a package, e.g. /static-web"),
  managerId: z.string().optional(),
  packageName: z.string().optional(),
  packageVersion: z.string().optional(),
});
/** `/service/update`: re-render an installed app with other options or another version of its package. */
export const ServiceUpdateRequest = z.object({
  appId: z.string().min(1, "appId must be the id of an app installed from a package, e.g. /static-web"),
  packageVersion: z.string().optional(),
  options: options.optional(),
  replace: z.boolean().default(false),
  managerId: z.string().optional(),
  packageName: z.string().optional(),
  currentPackageVersion: z.string().optional(),
});
export type ServiceDescribeRequest = z.infer<typeof ServiceDescribeRequest>;
export type ServiceUpdateRequest = z.infer<typeof ServiceUpdateRequest>;

/** A configured repository, as listed by /package/repository/list. */
export const RepositoryRef = z.object({ name: z.string(), uri: z.string() });
export type RepositoryRef = z.infer<typeof RepositoryRef>;

export type SearchRequest = z.infer<typeof SearchRequest>;
export type DescribeRequest = z.infer<typeof DescribeRequest>;
export type RenderRequest = z.infer<typeof RenderRequest>;
export type InstallRequest = z.infer<typeof InstallRequest>;
export type UninstallRequest = z.infer<typeof UninstallRequest>;
export type ListRequest = z.infer<typeof ListRequest>;

/** The Cosmos error body: `{type, message, data?}` with Cosmos' class names as `type`. */
export interface CosmosErrorBody {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}
