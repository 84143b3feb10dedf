import { useEffect, useState, type ReactNode } from 'react';
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation } from 'react-router-dom';
import { I18nProvider, LanguageSwitch, useI18n } from './lib/i18n';
import { AuthProvider, useAuth } from './lib/auth';
import { live, useConnState } from './lib/live';
import { LoginPage } from './pages/Login';
import { DashboardPage } from './pages/Dashboard';
import { NewMissionPage } from './pages/NewMission';
import { ResearchChatPage } from './pages/ResearchChat';
import { routeTitleKey, pageTitle, usePageTitle } from './lib/title';
import { MissionPage } from './pages/Mission';
import { DocumentsPage } from './pages/Documents';
import { ChatPage } from './pages/Chat';
import { WritingPage } from './pages/Writing';
import { SettingsPage } from './pages/Settings';
import { AdminPage } from './pages/Admin';

export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <AppRoutes />
        </BrowserRouter>
      </AuthProvider>
    </I18nProvider>
  );
}

function AppRoutes() {
  const { user } = useAuth();
  const loc = useLocation();
  if (!user) {
    if (loc.pathname !== '/login') return <Navigate to="/login" replace state={{ from: loc.pathname + loc.search }} />;
    return <LoginPage />;
  }
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/login" element={<Navigate to={(loc.state as { from?: string } | null)?.from || '/'} replace />} />
        <Route path="/missions/new" element={<ResearchChatPage />} />
        <Route path="/missions/new/advanced" element={<NewMissionPage />} />
        <Route path="/missions/drafts/:id" element={<ResearchChatPage />} />
        <Route path="/missions/:id" element={<MissionPage />} />
        <Route path="/documents" element={<DocumentsPage />} />
        <Route path="/chat" element={<ChatPage />} />
        <Route path="/chat/:id" element={<ChatPage />} />
        <Route path="/writing" element={<WritingPage />} />
        <Route path="/writing/:id" element={<WritingPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="/admin" element={user.role === 'admin' ? <AdminPage /> : <Navigate to="/" replace />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Shell>
  );
}

function NotFound() {
  const { t } = useI18n();
  usePageTitle(t('title.notFound'));
  return (
    <div className="page">
      <h1>{t('common.notFound')}</h1>
      <NavLink to="/">{t('nav.dashboard')}</NavLink>
    </div>
  );
}

function ConnIndicator() {
  const s = useConnState();
  const { t } = useI18n();
  if (s === 'idle' || s === 'closed') return null;
  return (
    <span className={`conn conn-${s}`} role="status" aria-live="polite" data-testid="conn-state" title={t(`conn.${s}`)}>
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{t(`conn.${s}`)}</span>
    </span>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const { user, logout, ready } = useAuth();
  const { t } = useI18n();
  const [menuOpen, setMenuOpen] = useState(false);
  const loc = useLocation();
  useEffect(() => setMenuOpen(false), [loc.pathname]);
  // the tab's title follows the page; pages named by their content set their own
  useEffect(() => {
    const key = routeTitleKey(loc.pathname);
    if (key) document.title = pageTitle(t(key));
  }, [loc.pathname, t]);
  useEffect(() => {
    if (ready) live.connect();
  }, [ready]);
  const links: [string, string, boolean?][] = [
    ['/', 'nav.dashboard', true],
    ['/missions/new', 'nav.newMission'],
    ['/documents', 'nav.documents'],
    ['/chat', 'nav.chat'],
    ['/writing', 'nav.writing'],
    ['/settings', 'nav.settings'],
  ];
  if (user?.role === 'admin') links.push(['/admin', 'nav.admin']);
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        {t('common.skip')}
      </a>
      <header className="topbar">
        <button type="button" className="btn-icon menu-toggle" aria-expanded={menuOpen} aria-controls="sidenav" aria-label={t('nav.menu')} onClick={() => setMenuOpen((o) => !o)}>
          ☰
        </button>
        <NavLink to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            M
          </span>
          Maestro
        </NavLink>
        <div className="topbar-right">
          <ConnIndicator />
          <LanguageSwitch />
          <span className="user-chip" title={user?.role}>
            {user?.username} <span className="muted">· {t(`role.${user?.role}`)}</span>
          </span>
          <button type="button" className="btn btn-ghost" onClick={() => void logout()} data-testid="logout">
            {t('auth.logout')}
          </button>
        </div>
      </header>
      <div className="body">
        <nav id="sidenav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label={t('nav.main')}>
          {links.map(([to, key, end]) => (
            <NavLink key={to} to={to} end={end} className={({ isActive }) => `navlink${isActive ? ' active' : ''}`}>
              {t(key)}
            </NavLink>
          ))}
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
