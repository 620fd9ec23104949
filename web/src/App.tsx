import { useEffect, useState } from 'react';
import { RefreshContext, usePendingRequests } from './api.js';
import { credentials, signOut, useAuthVersion, useSignInReason } from './auth.js';
import { SignIn } from './components/SignIn.js';
import { TimePicker } from './components/TimePicker.js';
import { ZonePicker } from './components/ZonePicker.js';
import { Empty } from './components/States.js';
import { BacktracePage } from './pages/BacktracePage.js';
import { FlowPage } from './pages/FlowPage.js';
import { ServiceOverviewPage } from './pages/ServiceOverviewPage.js';
import { ServicesPage } from './pages/ServicesPage.js';
import { TracePage } from './pages/TracePage.js';
import { TracesPage } from './pages/TracesPage.js';
import { Link, useLocation, type Location } from './router.js';
import { buildHref, parseRoute, type Route } from './routes.js';

function Page({ route, location }: { readonly route: Route; readonly location: Location }) {
  switch (route.page) {
    case 'services':
      return <ServicesPage location={location} />;
    case 'service':
      // Keyed by service, so a new service starts with fresh state.
      if (route.view === 'backtrace') return <BacktracePage key={route.service} location={location} service={route.service} />;
      if (route.view === 'flow') return <FlowPage key={route.service} location={location} service={route.service} />;
      return <ServiceOverviewPage key={route.service} location={location} service={route.service} />;
    case 'traces':
      return <TracesPage location={location} />;
    case 'trace':
      return <TracePage key={route.traceId} location={location} traceId={route.traceId} />;
    case 'not-found':
      return (
        <section className="page">
          <Empty title="Page not found" hint={<Link href="/services">Go to the services list</Link>} />
        </section>
      );
  }
}

const VIEW_TITLES = { overview: 'Overview', backtrace: 'Backtrace', flow: 'Service flow' } as const;

/** The tab title names the view, so bookmarks and history entries read well. */
function titleOf(route: Route): string {
  switch (route.page) {
    case 'services':
      return 'Services';
    case 'service':
      return `${route.service} · ${VIEW_TITLES[route.view]}`;
    case 'traces':
      return 'Traces';
    case 'trace':
      return `Trace ${route.traceId}`;
    case 'not-found':
      return 'Not found';
  }
}

/** The tenant and a Sign out button, once the user signed in (nothing on an open server). */
function SignedIn() {
  useAuthVersion();
  const { token, tenant } = credentials();
  if (token === '' && tenant === '') return null;
  return (
    <span className="signed-in">
      {tenant !== '' ? <span className="control-label" title="X-Scope-OrgID">tenant {tenant}</span> : null}
      <button type="button" className="button" onClick={signOut}>Sign out</button>
    </span>
  );
}

/** The shell: navigation, the timeframe and zone pickers every view shares, and the current page. */
export function App() {
  const location = useLocation();
  const route = parseRoute(location.pathname);
  const [refresh, setRefresh] = useState(0);
  const busy = usePendingRequests() > 0;
  const signInReason = useSignInReason();
  const title = titleOf(route);
  useEffect(() => {
    document.title = `${title} · Tributary`;
  }, [title]);
  const section = route.page === 'trace' || route.page === 'traces' ? 'traces' : route.page === 'not-found' ? null : 'services';
  return (
    <RefreshContext.Provider value={refresh}>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="top-bar">
        <Link className="brand" href={buildHref('/services', location.params)} aria-label="Tributary home">
          <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true"><path d="M2 13 C6 13 6 3 14 3" stroke="currentColor" strokeWidth="2.4" fill="none" /><circle cx="2.6" cy="13" r="2" fill="currentColor" /></svg>
          Tributary
        </Link>
        <nav className="main-nav" aria-label="Main">
          <Link href={buildHref('/services', location.params)} aria-current={section === 'services' ? 'page' : undefined}>Services</Link>
          <Link href={buildHref('/traces', location.params)} aria-current={section === 'traces' ? 'page' : undefined}>Traces</Link>
        </nav>
        <div className="global-controls">
          <TimePicker location={location} />
          <ZonePicker location={location} />
          <button type="button" className="button" onClick={() => setRefresh((n) => n + 1)} title="Query again (relative timeframes move with the clock)">Refresh</button>
          <SignedIn />
        </div>
      </header>
      <main id="main" tabIndex={-1} aria-busy={busy}>
        {signInReason !== null ? <SignIn reason={signInReason} /> : <Page route={route} location={location} />}
      </main>
    </RefreshContext.Provider>
  );
}
