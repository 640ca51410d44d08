// Stripe.js, loaded from the URL the API's config gives (js.stripe.com, or localstripe's copy).

export interface CardElement {
  mount(target: HTMLElement): void;
  destroy(): void;
}

interface StripeJs {
  elements(): { create(type: "card"): CardElement };
  confirmCardPayment(
    clientSecret: string,
    data?: { payment_method: { card: CardElement } },
  ): Promise<{ error?: { message?: string; code?: string }; paymentIntent?: { status: string } }>;
}

declare global {
  interface Window {
    Stripe?: (publishableKey: string) => StripeJs;
  }
}

const loaded = new Map<string, Promise<void>>();

function loadScript(src: string): Promise<void> {
  let promise = loaded.get(src);
  if (!promise) {
    promise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error("Card payments could not load. Check your connection."));
      document.head.appendChild(script);
    });
    loaded.set(src, promise);
  }
  return promise;
}

export async function loadStripe(scriptUrl: string, publishableKey: string): Promise<StripeJs> {
  await loadScript(scriptUrl);
  if (!window.Stripe) throw new Error("Card payments could not load.");
  return window.Stripe(publishableKey);
}
