import { api } from "./api/client";
import { unwrap } from "./api/errors";
import type { components } from "./api/schema";

export type ClientConfig = components["schemas"]["Config"];

let cached: Promise<ClientConfig> | null = null;

/** What the app needs at start-up (Stripe key, chain, contract), fetched once. */
export function clientConfig(): Promise<ClientConfig> {
  cached ??= unwrap(api.GET("/api/v1/config/"));
  return cached;
}
