import { useEffect, useState } from "react";
import { isLoggedIn, logout, onSessionChange } from "./api/client";
import { AuthPage } from "./pages/Auth";
import { CatalogPage } from "./pages/Catalog";
import { CollectionPage } from "./pages/Collection";
import { PacksPage } from "./pages/Packs";
import { ProofPage } from "./pages/Proof";
import { VerifyEmailPage } from "./pages/VerifyEmail";
import { WalletBadge } from "./pages/WalletBadge";

function useHashRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

function useLoggedIn(): boolean {
  const [loggedIn, setLoggedIn] = useState(isLoggedIn);
  useEffect(() => onSessionChange(() => setLoggedIn(isLoggedIn())), []);
  return loggedIn;
}

/** Links mailed to fans are real paths (`/app/verify-email?token=…`), not hash routes. */
function mailedToken(): string | null {
  if (!window.location.pathname.endsWith("/verify-email")) return null;
  return new URLSearchParams(window.location.search).get("token");
}

export function App() {
  const [page = "catalog", param] = useHashRoute();
  const verifyToken = mailedToken();
  const loggedIn = useLoggedIn();
  const needsLogin = !loggedIn && ["packs", "collection"].includes(page);

  return (
    <>
      <header>
        <a className="brand" href="#/catalog">TrackPacks</a>
        <nav aria-label="Main">
          <a href="#/catalog">Catalog</a>
          {loggedIn && <a href="#/packs">My packs</a>}
          {loggedIn && <a href="#/collection">My collection</a>}
        </nav>
        {loggedIn ? (
          <div className="session">
            <WalletBadge />
            <button type="button" onClick={() => void logout()}>Log out</button>
          </div>
        ) : (
          <a href="#/login">Log in</a>
        )}
      </header>
      <main>
        {verifyToken ? (
          <VerifyEmailPage token={verifyToken} />
        ) : page === "login" || page === "register" || needsLogin ? (
          <AuthPage initialMode={page === "register" ? "register" : "login"} />
        ) : page === "packs" ? (
          <PacksPage />
        ) : page === "collection" ? (
          <CollectionPage />
        ) : page === "proof" && param ? (
          <ProofPage openingId={Number(param)} />
        ) : (
          <CatalogPage loggedIn={loggedIn} />
        )}
      </main>
    </>
  );
}
