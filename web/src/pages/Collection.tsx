import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, authed } from "../api/client";
import { messageOf, unwrap } from "../api/errors";
import type { components } from "../api/schema";

type Item = components["schemas"]["CollectionItem"];

export function CollectionPage() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [error, setError] = useState("");

  const reload = useCallback(() => {
    unwrap(authed(() => api.GET("/api/v1/collection/", { params: { query: { page_size: 100 } } })))
      .then((page) => setItems(page.results))
      .catch((err: unknown) => setError(messageOf(err)));
  }, []);
  useEffect(reload, [reload]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!items) return <p aria-busy="true">Loading your collection…</p>;
  return (
    <>
      <h1>My collection</h1>
      {items.length === 0 && <p>No songs yet: open a pack.</p>}
      <table>
        <caption>Your song NFTs</caption>
        <thead>
          <tr><th scope="col">Song</th><th scope="col">Rarity</th><th scope="col">Held</th><th scope="col">Where</th><th scope="col">Withdraw</th></tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={`${item.token_id}-${item.custody}`} data-token-id={item.token_id}>
              <td>{item.song.title} — {item.song.artist}</td>
              <td>{item.song.rarity}</td>
              <td data-testid="balance">{item.balance}</td>
              <td>{item.custody === "custodial" ? "custodial" : "your wallet"}</td>
              <td>{item.custody === "custodial" && <WithdrawForm item={item} onDone={reload} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function WithdrawForm({ item, onDone }: { item: Item; onDone: () => void }) {
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const amount = Number(new FormData(event.currentTarget).get("amount"));
    setError("");
    try {
      await unwrap(
        authed(() => api.POST("/api/v1/collection/withdraw/", { body: { token_id: item.token_id, amount } })),
      );
      setMessage("On its way to your wallet.");
      onDone();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)} className="inline">
      <label>
        Amount <input name="amount" type="number" min={1} max={Number(item.balance)} defaultValue={1} />
      </label>
      <button type="submit">Withdraw</button>
      {message && <span role="status">{message}</span>}
      {error && <span role="alert" className="error">{error}</span>}
    </form>
  );
}
