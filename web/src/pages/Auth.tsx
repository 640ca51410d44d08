import { useState, type FormEvent } from "react";
import { api, startSession } from "../api/client";
import { messageOf, unwrap } from "../api/errors";

export function AuthPage({ initialMode }: { initialMode: "login" | "register" }) {
  const [mode, setMode] = useState(initialMode);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    setBusy(true);
    setError("");
    try {
      const tokens =
        mode === "register"
          ? await unwrap(
              api.POST("/api/v1/auth/register/", {
                body: { email, password, display_name: String(form.get("display_name") ?? "") },
              }),
            )
          : await unwrap(api.POST("/api/v1/auth/login/", { body: { email, password } }));
      startSession(tokens);
      window.location.hash = "#/catalog";
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card narrow">
      <h1>{mode === "register" ? "Create your account" : "Log in"}</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            minLength={12}
            autoComplete={mode === "register" ? "new-password" : "current-password"}
            required
          />
        </label>
        {mode === "register" && (
          <label>
            Display name
            <input name="display_name" autoComplete="nickname" />
          </label>
        )}
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" disabled={busy}>
          {mode === "register" ? "Create account" : "Log in"}
        </button>
      </form>
      <button type="button" className="link" onClick={() => setMode(mode === "login" ? "register" : "login")}>
        {mode === "login" ? "New here? Create an account" : "Have an account? Log in"}
      </button>
    </section>
  );
}
