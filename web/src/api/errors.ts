// Turns whatever went wrong into a sentence a person understands.

export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

const BY_CODE: Record<string, string> = {
  sold_out: "This batch just sold out: there are not enough packs left.",
  card_declined: "Your card was declined. Try another card.",
  wallet_required: "Link your wallet first (Sign-In with Ethereum).",
  payment_provider_unavailable: "Card payments are unavailable right now. Try again shortly.",
  chain_not_configured: "The blockchain service is unavailable right now. Try again shortly.",
  pack_not_unopened: "This pack is already opened or opening.",
  insufficient_balance: "You don't hold enough of this song in custody.",
  email_not_verified: "Confirm your email address first: follow the link we mailed you.",
  withdrawal_on_hold: "Songs paid by card can be withdrawn once the payment has cleared.",
  too_many_pending_orders: "Finish or cancel your open orders before starting another.",
  batch_limit_reached: "You already hold the most packs one fan may buy from this batch.",
};

export class UserFacingError extends Error {}

export function describeFailure(response: Response | undefined, body: unknown): string {
  if (!response) return "Can't reach the server. Check your connection and try again.";
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    return `Too many requests. Try again in ${wait ?? "a few"} seconds.`;
  }
  const error = (body as ApiErrorBody | undefined)?.error;
  if (error?.code && BY_CODE[error.code]) return BY_CODE[error.code]!;
  const fields = error?.details?.["fields"] as Record<string, string[]> | undefined;
  if (fields) {
    return Object.entries(fields)
      .map(([name, problems]) => `${name}: ${problems.join(" ")}`)
      .join("; ");
  }
  return error?.message ?? `The server answered ${response.status}.`;
}

/** The data of a call, or a UserFacingError carrying a readable message. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new UserFacingError(describeFailure(undefined, undefined));
  }
  if (result.data !== undefined && result.response.ok) return result.data;
  if (result.response.ok) return undefined as T; // 204
  throw new UserFacingError(describeFailure(result.response, result.error));
}

export function messageOf(error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  if (error instanceof TypeError) return describeFailure(undefined, undefined);
  if (error && typeof error === "object" && "message" in error) return String(error.message);
  return "Something went wrong.";
}
