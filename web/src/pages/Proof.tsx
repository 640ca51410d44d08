import { useEffect, useState } from "react";
import { api } from "../api/client";
import { messageOf, unwrap } from "../api/errors";
import type { components } from "../api/schema";

type Proof = components["schemas"]["OpeningProof"];

export function ProofPage({ openingId }: { openingId: number }) {
  const [proof, setProof] = useState<Proof | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    unwrap(api.GET("/api/v1/openings/{id}/proof/", { params: { path: { id: openingId } } }))
      .then(setProof)
      .catch((err: unknown) => setError(messageOf(err)));
  }, [openingId]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!proof) return <p aria-busy="true">Loading the proof…</p>;
  return (
    <section className="card">
      <h1>Opening #{openingId}: {proof.matches ? "verified" : "MISMATCH"}</h1>
      <pre>{JSON.stringify(proof, null, 2)}</pre>
    </section>
  );
}
