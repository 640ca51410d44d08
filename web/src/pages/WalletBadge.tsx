import { useEffect, useState } from "react";
import { api, authed } from "../api/client";
import { messageOf, unwrap } from "../api/errors";
import { clientConfig } from "../config";
import { connectWallet, ensureChain, hasWallet, signMessage } from "../wallet";

/** Shows the linked wallet, or links one with Sign-In with Ethereum (EIP-4361). */
export function WalletBadge() {
  const [address, setAddress] = useState<string | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    void unwrap(authed(() => api.GET("/api/v1/auth/me/")))
      .then((me) => setAddress(me.wallet_address))
      .catch(() => setAddress(null));
  }, []);

  async function link() {
    setError("");
    try {
      const config = await clientConfig();
      const wallet = await connectWallet();
      await ensureChain(config.chain_id);
      const { message } = await unwrap(
        authed(() => api.POST("/api/v1/auth/wallet/nonce/", { body: { address: wallet } })),
      );
      const signature = await signMessage(wallet, message);
      await unwrap(authed(() => api.POST("/api/v1/auth/wallet/link/", { body: { message, signature } })));
      setAddress(wallet);
    } catch (err) {
      setError(messageOf(err));
    }
  }

  if (address) return <span className="wallet" title={address}>Wallet {address.slice(0, 6)}…{address.slice(-4)}</span>;
  return (
    <span>
      <button type="button" onClick={() => void link()} disabled={!hasWallet()}>
        Link wallet
      </button>
      {error && <span role="alert" className="error">{error}</span>}
    </span>
  );
}
