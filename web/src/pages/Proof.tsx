import { useEffect, useState } from "react";
import { api } from "../api/client";
import { messageOf, unwrap } from "../api/errors";
import type { components } from "../api/schema";

type Proof = components["schemas"]["OpeningProof"];

/** Anyone can check an opening: the pool, the VRF word and the draw recomputed from them. */
export function ProofPage({ openingId }: { openingId: number }) {
  const [proof, setProof] = useState<Proof | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    unwrap(api.GET("/api/v1/openings/{opening_id}/proof/", { params: { path: { opening_id: openingId } } }))
      .then(setProof)
      .catch((err: unknown) => setError(messageOf(err)));
  }, [openingId]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!proof) return <p aria-busy="true">Loading the proof…</p>;
  return (
    <section className="card">
      <h1>Opening #{proof.opening_id}: {proof.matches ? "verified" : "does NOT match"}</h1>
      <dl>
        <dt>Random word (Chainlink VRF)</dt>
        <dd><code>{proof.random_word}</code></dd>
        <dt>Request</dt>
        <dd><code>{proof.request_id}</code> in tx <code>{proof.requested_tx_hash}</code></dd>
        <dt>Fulfilment tx</dt>
        <dd><code>{proof.fulfilled_tx_hash}</code></dd>
        <dt>Songs revealed</dt>
        <dd data-testid="revealed">{proof.revealed.join(", ")}</dd>
        <dt>Songs recomputed from the word and the pool</dt>
        <dd data-testid="recomputed">{proof.recomputed.join(", ")}</dd>
      </dl>
      <table>
        <caption>The pool (total weight {proof.total_weight}); {proof.method}</caption>
        <thead><tr><th scope="col">Token id</th><th scope="col">Weight</th></tr></thead>
        <tbody>
          {proof.pool.map((entry) => (
            <tr key={entry.token_id}><td>{entry.token_id}</td><td>{entry.weight}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
