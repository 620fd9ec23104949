import { useState, type FormEvent } from 'react';
import { credentials, signIn } from '../auth.js';

/**
 * Shown when the API answers 401: a token and, for multi-tenant servers, a tenant. The reason is
 * the server's own message ("missing bearer token", "missing X-Scope-OrgID", …), shown as text.
 */
export function SignIn({ reason }: { readonly reason: string }) {
  const [token, setToken] = useState(credentials().token);
  const [tenant, setTenant] = useState(credentials().tenant);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    signIn({ token, tenant });
  };
  return (
    <section className="page sign-in" aria-labelledby="sign-in-title">
      <form className="sign-in-form" onSubmit={submit}>
        <h1 id="sign-in-title">Sign in</h1>
        <p className="sign-in-reason" role="alert">{reason}</p>
        <label>
          <span>Token</span>
          {/* A bearer token is a secret: masked like a password, never autofilled from elsewhere. */}
          <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        </label>
        <label>
          <span>Tenant</span>
          <input name="tenant" type="text" autoComplete="off" value={tenant} placeholder="X-Scope-OrgID (multi-tenant servers)" onChange={(e) => setTenant(e.target.value)} />
        </label>
        <button type="submit" className="button button-primary">Sign in</button>
      </form>
    </section>
  );
}
