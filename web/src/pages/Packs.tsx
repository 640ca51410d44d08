import { useCallback, useEffect, useState } from "react";
import { api, authed } from "../api/client";
import { messageOf, unwrap } from "../api/errors";
import type { components } from "../api/schema";
import { pollUntil } from "../poll";
import { connectWallet, sendCall } from "../wallet";

type Pack = components["schemas"]["Pack"];
type Song = components["schemas"]["Song"];

function loadPack(id: number): Promise<Pack> {
  return unwrap(authed(() => api.GET("/api/v1/packs/{id}/", { params: { path: { id } } })));
}

export function PacksPage() {
  const [packs, setPacks] = useState<Pack[] | null>(null);
  const [error, setError] = useState("");

  const reload = useCallback(() => {
    unwrap(authed(() => api.GET("/api/v1/packs/", { params: { query: { page_size: 100 } } })))
      .then((page) => setPacks(page.results))
      .catch((err: unknown) => setError(messageOf(err)));
  }, []);
  useEffect(reload, [reload]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!packs) return <p aria-busy="true">Loading your packs…</p>;
  return (
    <>
      <h1>My packs</h1>
      {packs.length === 0 && <p>No packs yet. <a href="#/catalog">Buy one</a>.</p>}
      <ul className="packs">
        {packs.map((pack) => (
          <li key={pack.id}>
            <PackCard initial={pack} />
          </li>
        ))}
      </ul>
    </>
  );
}

function PackCard({ initial }: { initial: Pack }) {
  const [pack, setPack] = useState(initial);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function follow(task: () => Promise<void>) {
    setBusy(true);
    setError("");
    try {
      await task();
      await pollUntil(() => loadPack(pack.id), (p) => p.status === "opened" || p.status === "void", {
        onValue: setPack,
      });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  /** Custodial packs open on the server; a self-custody pack opens from the fan's wallet. */
  const open = () =>
    follow(async () => {
      const result = await unwrap(
        authed(() => api.POST("/api/v1/packs/{id}/open/", { params: { path: { id: pack.id } } })),
      );
      setPack(result.pack);
      if (result.wallet_call) await sendCall(await connectWallet(), result.wallet_call);
    });

  /** Re-sends the wallet call the pack still waits for (an open, or a retry of a stuck one). */
  const sendIntent = () =>
    follow(async () => {
      if (pack.open_intent) await sendCall(await connectWallet(), pack.open_intent.wallet_call);
    });

  return (
    <article className="card pack" aria-labelledby={`pack-${pack.id}`}>
      <h2 id={`pack-${pack.id}`}>{pack.batch.name} <small>#{pack.id}</small></h2>
      <p>
        Status: <strong data-testid="pack-status">{pack.status}</strong> · held{" "}
        {pack.custody === "custodial" ? "for you (custodial)" : "in your wallet"}
      </p>
      {pack.status === "unopened" && !pack.open_intent && (
        <button type="button" onClick={() => void open()} disabled={busy}>Open pack</button>
      )}
      {pack.open_intent && !busy && (
        <p>
          {pack.open_intent.action === "retry"
            ? "The randomness request timed out: ask for it again from your wallet."
            : "Waiting for your wallet to send the opening."}{" "}
          <button type="button" onClick={() => void sendIntent()}>
            {pack.open_intent.action === "retry" ? "Retry from wallet" : "Send from wallet"}
          </button>
        </p>
      )}
      {pack.status === "opening" && <p aria-live="polite">Waiting for randomness from Chainlink VRF…</p>}
      {pack.status === "stuck" && !pack.open_intent && (
        <p aria-live="polite">The randomness request timed out; we are asking again.</p>
      )}
      {pack.songs.length > 0 && <Reveal songs={pack.songs} />}
      {pack.opening_id !== null && pack.status === "opened" && (
        <p><a href={`#/proof/${pack.opening_id}`}>Verify this opening</a></p>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </article>
  );
}

/** The five songs, revealed one after another. */
function Reveal({ songs }: { songs: Song[] }) {
  const [shown, setShown] = useState(0);
  useEffect(() => {
    if (shown >= songs.length) return;
    const timer = setTimeout(() => setShown(shown + 1), 400);
    return () => clearTimeout(timer);
  }, [shown, songs.length]);
  return (
    <ol className="reveal" aria-live="polite">
      {songs.slice(0, shown).map((song) => (
        <li key={song.id} className={`rarity-${song.rarity}`}>
          <strong>{song.title}</strong> — {song.artist} <span className="tag">{song.rarity}</span>
        </li>
      ))}
    </ol>
  );
}
