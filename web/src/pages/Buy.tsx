import { useEffect, useRef, useState } from "react";
import { api, authed, idempotencyKey } from "../api/client";
import { messageOf, unwrap, UserFacingError } from "../api/errors";
import type { components } from "../api/schema";
import { clientConfig } from "../config";
import { pollUntil } from "../poll";
import { loadStripe, type CardElement } from "../stripe";
import { connectWallet, ensureChain, sendCall } from "../wallet";

type Batch = components["schemas"]["Batch"];
type Order = components["schemas"]["Order"];

const SETTLED = new Set(["fulfilled", "failed", "expired", "refunded", "review"]);

async function createOrder(batch: number, quantity: number, method: "card" | "crypto"): Promise<Order> {
  const key = idempotencyKey(); // the same key on a retry: the server replays, never double-orders
  return unwrap(
    authed(() =>
      api.POST("/api/v1/orders/", {
        body: { batch, quantity, method },
        params: { header: { "Idempotency-Key": key } },
      }),
    ),
  );
}

async function waitForOrder(id: number, onStatus: (status: string) => void): Promise<Order> {
  return pollUntil(
    () => unwrap(authed(() => api.GET("/api/v1/orders/{id}/", { params: { path: { id } } }))),
    (order) => SETTLED.has(order.status),
    { onValue: (order) => onStatus(order.status) },
  );
}

export function BuyPanel({ batch }: { batch: Batch }) {
  const [quantity, setQuantity] = useState(1);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [cardOrder, setCardOrder] = useState<Order | null>(null);

  async function run(task: () => Promise<void>) {
    setError("");
    try {
      await task();
    } catch (err) {
      setError(messageOf(err));
      setStatus("");
    }
  }

  const buyWithCrypto = () =>
    run(async () => {
      const config = await clientConfig();
      const wallet = await connectWallet();
      await ensureChain(config.chain_id);
      setStatus("Creating your order…");
      const order = await createOrder(batch.id, quantity, "crypto");
      const call = order.payment?.crypto;
      if (!call) throw new UserFacingError("The order came back without a wallet call.");
      setStatus("Confirm the purchase in your wallet…");
      await sendCall(wallet, { to: call.contract_address, data: call.data, value_wei: call.value_wei });
      setStatus("Waiting for the chain…");
      const done = await waitForOrder(order.id, (s) => setStatus(`Order ${s}…`));
      setStatus(done.status === "fulfilled" ? "Your packs are in My packs." : `Order ${done.status}: ${done.status_reason}`);
    });

  const buyWithCard = () =>
    run(async () => {
      setStatus("Creating your order…");
      setCardOrder(await createOrder(batch.id, quantity, "card"));
      setStatus("Enter your card.");
    });

  return (
    <div className="buy">
      <label>
        Packs
        <input type="number" min={1} max={10} value={quantity} onChange={(e) => setQuantity(Number(e.target.value))} />
      </label>
      <button type="button" onClick={() => void buyWithCard()} disabled={cardOrder !== null}>Buy by card</button>
      <button type="button" onClick={() => void buyWithCrypto()}>Buy with crypto</button>
      {cardOrder && (
        <CardForm
          order={cardOrder}
          onStatus={setStatus}
          onError={setError}
          onDone={() => setCardOrder(null)}
        />
      )}
      {status && <p role="status">{status}</p>}
      {error && <p role="alert" className="error">{error}</p>}
    </div>
  );
}

function CardForm({ order, onStatus, onError, onDone }: {
  order: Order;
  onStatus: (s: string) => void;
  onError: (s: string) => void;
  onDone: () => void;
}) {
  const mountPoint = useRef<HTMLDivElement>(null);
  const card = useRef<CardElement | null>(null);
  const [ready, setReady] = useState(false);
  const payment = order.payment?.card;

  useEffect(() => {
    if (!payment || !mountPoint.current) return;
    let cancelled = false;
    void clientConfig()
      .then((config) => loadStripe(config.stripe_js_url, payment.publishable_key))
      .then((stripe) => {
        if (cancelled || !mountPoint.current) return;
        card.current = stripe.elements().create("card");
        card.current.mount(mountPoint.current);
        setReady(true);
      })
      .catch((err: unknown) => onError(messageOf(err)));
    return () => {
      cancelled = true;
      card.current?.destroy();
    };
  }, [payment, onError]);

  async function pay() {
    if (!payment || !card.current) return;
    onError("");
    const config = await clientConfig();
    const stripe = await loadStripe(config.stripe_js_url, payment.publishable_key);
    onStatus("Paying…");
    const result = await stripe.confirmCardPayment(payment.client_secret, { payment_method: { card: card.current } });
    if (result.error) {
      onStatus("");
      onError(result.error.code === "card_declined" || /declin/i.test(result.error.message ?? "")
        ? "Your card was declined. Try another card."
        : result.error.message ?? "The payment did not go through.");
      return;
    }
    const done = await waitForOrder(order.id, (s) => onStatus(`Order ${s}…`));
    onStatus(done.status === "fulfilled" ? "Your packs are in My packs." : `Order ${done.status}: ${done.status_reason}`);
    onDone();
  }

  return (
    <div className="card-form">
      <div ref={mountPoint} aria-label="Card details" className="card-element" />
      <button type="button" onClick={() => void pay().catch((err: unknown) => onError(messageOf(err)))} disabled={!ready}>
        Pay
      </button>
    </div>
  );
}
