import { useEffect, useState } from "react";
import { api } from "../api/client";
import { messageOf, unwrap } from "../api/errors";

/** The mailed link lands here (`/app/verify-email?token=…`): confirm, then go to the catalog. */
export function VerifyEmailPage({ token }: { token: string }) {
  const [state, setState] = useState<"checking" | "done" | string>("checking");

  useEffect(() => {
    unwrap(api.POST("/api/v1/auth/email/verify/", { body: { token } }))
      .then(() => setState("done"))
      .catch((err: unknown) => setState(messageOf(err)));
  }, [token]);

  if (state === "checking") return <p aria-busy="true">Confirming your email address…</p>;
  if (state !== "done") return <p role="alert" className="error">{state}</p>;
  return (
    <section className="card narrow">
      <h1>Email confirmed</h1>
      <p>You can pay by card now. <a href="/app/#/catalog">Back to the catalog</a></p>
    </section>
  );
}
