import { useEffect, useState } from "react";
import { api } from "../api/client";
import { messageOf, unwrap } from "../api/errors";
import type { components } from "../api/schema";
import { ether, money, percent } from "../format";
import { BuyPanel } from "./Buy";

type Batch = components["schemas"]["Batch"];

export function CatalogPage({ loggedIn }: { loggedIn: boolean }) {
  const [batches, setBatches] = useState<Batch[] | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    unwrap(api.GET("/api/v1/batches/"))
      .then((page) => setBatches(page.results))
      .catch((err: unknown) => setError(messageOf(err)));
  }, []);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!batches) return <p aria-busy="true">Loading the catalog…</p>;
  return (
    <>
      <h1>Packs on sale</h1>
      {batches.map((batch) => (
        <article key={batch.id} className="card" aria-labelledby={`batch-${batch.id}`}>
          <h2 id={`batch-${batch.id}`}>{batch.name}</h2>
          <p>{batch.description}</p>
          <p>
            <strong>{money(batch.price.amount_cents, batch.price.currency)}</strong> or{" "}
            <strong>{ether(batch.price.amount_wei)}</strong> per pack · {batch.remaining} of {batch.supply} left
          </p>
          <table>
            <caption>Songs in this batch and the chance each is in your pack (5 different songs a pack)</caption>
            <thead>
              <tr><th scope="col">Song</th><th scope="col">Artist</th><th scope="col">Rarity</th><th scope="col">Chance</th></tr>
            </thead>
            <tbody>
              {batch.pool.map((entry) => (
                <tr key={entry.song.id}>
                  <td>{entry.song.title}</td>
                  <td>{entry.song.artist}</td>
                  <td>{entry.song.rarity}</td>
                  <td>{entry.probability === null ? "—" : percent(entry.probability)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {loggedIn && batch.sale_open ? (
            <BuyPanel batch={batch} />
          ) : (
            !loggedIn && <p><a href="#/login">Log in</a> to buy.</p>
          )}
        </article>
      ))}
    </>
  );
}
