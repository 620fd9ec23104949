import type { ReactNode } from 'react';
import type { Loadable } from '../api.js';

export function Loading({ what }: { readonly what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </div>
  );
}

/** Shown when a query succeeded but found nothing; `hint` says what to try next. */
export function Empty({ title, hint }: { readonly title: string; readonly hint?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <strong>{title}</strong>
      {hint !== undefined ? <p>{hint}</p> : null}
    </div>
  );
}

export function ErrorBox({ title, message }: { readonly title: string; readonly message: string }) {
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
    </div>
  );
}

/** Renders the loading and error states of `loadable`, and `children(data)` once it arrived. */
export function Loaded<T>({ loadable, what, children }: { readonly loadable: Loadable<T>; readonly what: string; readonly children: (data: T) => ReactNode }) {
  switch (loadable.state) {
    case 'loading':
      return <Loading what={what} />;
    case 'error':
      return <ErrorBox title={loadable.status === 404 ? 'Not found' : `Could not load ${what}`} message={loadable.message} />;
    case 'ok':
      return <>{children(loadable.data)}</>;
  }
}
