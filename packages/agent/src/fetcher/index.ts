export { fetchUris, type FetchOptions, type FetchedUri, type FetchUri } from "./fetcher.js";
export { archiveKind, baseName, cacheKey, classifyUri, outputName } from "./uri.js";
