/**
 * The console shell: login gate, navigation, the live-stream indicator and the page for the
 * current path. Logging out (or any 401) forgets the key and closes the live stream.
 *
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized, storeKey, storedKey } from './api';
import { Link } from './components/link';
import { connectEvents, disconnectEvents, subscribeStatus } from './events';
import { ConfigPage } from './pages/config';
import { CredentialsPage } from './pages/credentials';
import { ExplainPage } from './pages/explain';
import { LoginPage } from './pages/login';
import { ModelsPage } from './pages/models';
import { OverviewPage } from './pages/overview';
import { PluginsPage } from './pages/plugins';
import { RequestsPage } from './pages/requests';
import { UsagePage } from './pages/usage';
import { usePath } from './router';

const NAV: [path: string, name: string][] = [
  ['/', 'Overview'],
  ['/credentials', 'Credentials'],
  ['/models', 'Models'],
  ['/plugins', 'Plugins'],
  ['/requests', 'Requests'],
  ['/usage', 'Usage'],
  ['/explain', 'Explain'],
  ['/config', 'Config'],
];

function Page({ path }: { path: string }) {
  const [, first = '', rest] = /^\/([^/]*)\/?(.*)$/.exec(path) ?? [];
  switch (first) {
    case '':
      return <OverviewPage />;
    case 'credentials':
      return <CredentialsPage />;
    case 'models':
      return <ModelsPage />;
    case 'plugins':
      return <PluginsPage />;
    case 'requests':
      return <RequestsPage selected={rest ? decodeURIComponent(rest) : null} />;
    case 'usage':
      return <UsagePage />;
    case 'explain':
      return <ExplainPage />;
    case 'config':
      return <ConfigPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No console page at {path}. <Link to="/">Go to the overview.</Link>
          </p>
        </section>
      );
  }
}

function LiveIndicator() {
  const [live, setLive] = useState(false);
  useEffect(() => subscribeStatus(setLive), []);
  return (
    <span class={`live ${live ? 'live-on' : 'live-off'}`} title={live ? 'Receiving live events' : 'Live events disconnected; retrying'}>
      {live ? 'live' : 'offline'}
    </span>
  );
}

/** The whole console. */
export function App() {
  const [loggedIn, setLoggedIn] = useState(() => storedKey() !== null);
  const [expired, setExpired] = useState(false);
  const path = usePath();

  useEffect(() => {
    const logout = () => {
      disconnectEvents();
      setExpired(true);
      setLoggedIn(false);
    };
    onUnauthorized(logout);
    if (loggedIn) connectEvents(() => (storeKey(null), logout()));
  }, [loggedIn]);

  if (!loggedIn)
    return (
      <LoginPage
        expired={expired}
        onLogin={() => {
          setExpired(false);
          setLoggedIn(true);
        }}
      />
    );

  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <div class="shell">
      <nav class="nav" aria-label="Console">
        <span class="brand">Switchyard</span>
        {NAV.map(([to, name]) => (
          <Link to={to} current={section === to} class="nav-link">
            {name}
          </Link>
        ))}
        <span class="spacer" />
        <LiveIndicator />
        <button
          type="button"
          class="small ghost"
          onClick={() => {
            storeKey(null);
            disconnectEvents();
            setExpired(false);
            setLoggedIn(false);
          }}
        >
          Log out
        </button>
      </nav>
      <main class="content">
        <Page path={path} />
      </main>
    </div>
  );
}
