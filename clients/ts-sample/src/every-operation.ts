// Calls every operation of the API with openapi-fetch, typed by the generated schema.
// `tsc --strict` fails when an operation is missing here, when a path id is not a number, or
// when a request or response does not match the schema.
import createClient from "openapi-fetch";
import type { components, operations, paths } from "../generated/api";

type Schemas = components["schemas"];
export type Client = ReturnType<typeof createClient<paths>>;

export function apiClient(baseUrl: string, access?: string): Client {
  const headers: Record<string, string> = {};
  if (access !== undefined) headers["Authorization"] = `Bearer ${access}`;
  return createClient<paths>({ baseUrl, headers });
}

const newKey = (): string => crypto.randomUUID();

// A uint256 stays a string end to end: BigInt for arithmetic, never Number.
export function totalWei(order: Schemas["Order"]): bigint {
  return BigInt(order.amount_wei);
}

type Call = (api: Client) => Promise<unknown>;

// One entry per operation id: a missing operation is a type error.
export const OPERATIONS: { [K in keyof operations]: Call } = {
  health: (api) => api.GET("/api/v1/health/"),
  config_retrieve: (api) => api.GET("/api/v1/config/"),
  auth_register: (api) =>
    api.POST("/api/v1/auth/register/", {
      body: { email: "fan@example.com", password: "a-long-passphrase" },
    }),
  auth_login: (api) =>
    api.POST("/api/v1/auth/login/", {
      body: { email: "fan@example.com", password: "a-long-passphrase" },
    }),
  auth_refresh: (api) => api.POST("/api/v1/auth/refresh/", { body: { refresh: "r" } }),
  auth_logout: (api) => api.POST("/api/v1/auth/logout/", { body: { refresh: "r" } }),
  auth_me: (api) => api.GET("/api/v1/auth/me/"),
  auth_me_update: (api) => api.PATCH("/api/v1/auth/me/", { body: { display_name: "Fan" } }),
  auth_password_change: (api) =>
    api.POST("/api/v1/auth/password/change/", {
      body: { old_password: "a-long-passphrase", new_password: "another-long-one" },
    }),
  auth_password_reset: (api) =>
    api.POST("/api/v1/auth/password/reset/", { body: { email: "fan@example.com" } }),
  auth_password_reset_confirm: (api) =>
    api.POST("/api/v1/auth/password/reset/confirm/", {
      body: { uid: "MQ", token: "t", new_password: "another-long-one" },
    }),
  auth_wallet_nonce: (api) =>
    api.POST("/api/v1/auth/wallet/nonce/", {
      body: { address: "0x0000000000000000000000000000000000000001" },
    }),
  auth_me_delete: (api) =>
    api.POST("/api/v1/auth/me/delete/", { body: { password: "a-long-passphrase" } }),
  auth_email_verify: (api) => api.POST("/api/v1/auth/email/verify/", { body: { token: "t" } }),
  auth_email_verify_resend: (api) => api.POST("/api/v1/auth/email/verify/resend/"),
  auth_email_change: (api) =>
    api.POST("/api/v1/auth/email/change/", {
      body: { new_email: "new@example.com", password: "a-long-passphrase" },
    }),
  auth_wallet_unlink: (api) => api.POST("/api/v1/auth/wallet/unlink/"),
  auth_wallet_link: (api) =>
    api.POST("/api/v1/auth/wallet/link/", { body: { message: "m", signature: "0x00" } }),
  songs_list: (api) =>
    api.GET("/api/v1/songs/", { params: { query: { page: 1, rarity: "legendary", search: "x" } } }),
  songs_retrieve: (api) => api.GET("/api/v1/songs/{id}/", { params: { path: { id: 1 } } }),
  batches_list: (api) => api.GET("/api/v1/batches/", { params: { query: { on_sale: true } } }),
  batches_retrieve: (api) => api.GET("/api/v1/batches/{id}/", { params: { path: { id: 1 } } }),
  orders_list: (api) =>
    api.GET("/api/v1/orders/", { params: { query: { status: "pending", method: "card" } } }),
  orders_cancel: (api) => api.POST("/api/v1/orders/{id}/cancel/", { params: { path: { id: 1 } } }),
  orders_create: (api) =>
    api.POST("/api/v1/orders/", {
      params: { header: { "Idempotency-Key": newKey() } },
      body: { batch: 1, quantity: 1, method: "card" },
    }),
  orders_payment_sheet: (api) =>
    api.POST("/api/v1/orders/{id}/payment-sheet/", { params: { path: { id: 1 } } }),
  orders_retrieve: (api) => api.GET("/api/v1/orders/{id}/", { params: { path: { id: 1 } } }),
  orders_crypto_tx: (api) =>
    api.POST("/api/v1/orders/{id}/crypto-tx/", {
      params: { path: { id: 1 } },
      body: { tx_hash: `0x${"00".repeat(32)}` },
    }),
  payments_stripe_webhook: (api) =>
    api.POST("/api/v1/payments/stripe/webhook/", {
      params: { header: { "Stripe-Signature": "t=0,v1=00" } },
      body: {},
    }),
  openings_proof: (api) =>
    api.GET("/api/v1/openings/{opening_id}/proof/", { params: { path: { opening_id: 1 } } }),
  packs_list: (api) =>
    api.GET("/api/v1/packs/", { params: { query: { status: "unopened", custody: "self" } } }),
  packs_retrieve: (api) => api.GET("/api/v1/packs/{id}/", { params: { path: { id: 1 } } }),
  packs_open: (api) => api.POST("/api/v1/packs/{id}/open/", { params: { path: { id: 1 } } }),
  collection_list: (api) => api.GET("/api/v1/collection/"),
  collection_withdraw: (api) =>
    api.POST("/api/v1/collection/withdraw/", {
      body: { token_id: "1152921504606846983", amount: 1 },
    }),
  withdrawals_list: (api) => api.GET("/api/v1/collection/withdrawals/"),
  withdrawals_retrieve: (api) =>
    api.GET("/api/v1/collection/withdrawals/{id}/", { params: { path: { id: 1 } } }),
};

// Ids in responses are numbers and go straight back into paths.
export async function reopenFirstPack(api: Client): Promise<Schemas["PackOpen"] | undefined> {
  const { data } = await api.GET("/api/v1/packs/");
  const first = data?.results[0];
  if (first === undefined) return undefined;
  const opened = await api.POST("/api/v1/packs/{id}/open/", {
    params: { path: { id: first.id } },
  });
  return opened.data;
}
