import { useState, type FormEvent } from 'react';
import { usePageTitle } from '../lib/title';
import { useAuth } from '../lib/auth';
import { LanguageSwitch, useI18n } from '../lib/i18n';
import { api, ApiError } from '../lib/api';
import { validateNewUser } from '../lib/validation';
import { errorText } from '../components/ui';

export function LoginPage() {
  const { login, notice, clearNotice } = useAuth();
  const { t } = useI18n();
  usePageTitle(t('title.login'));
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const loginError = (err: unknown): string => {
    if (err instanceof ApiError) {
      if (err.status === 401 && /disabled/i.test(err.message)) return t('auth.disabled');
      if (err.status === 401 || err.status === 400 || err.status === 422) return t('auth.invalid');
      if (err.status === 429) return t('auth.throttled');
    }
    return errorText(err, t);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError(t('auth.fillBoth'));
      return;
    }
    if (mode === 'register') {
      const errs = validateNewUser(username, password);
      if (errs.username || errs.password) {
        setError(t(errs.username || errs.password));
        return;
      }
      if (password !== confirm) {
        setError(t('v.passwordMismatch'));
        return;
      }
    }
    setBusy(true);
    setError('');
    try {
      if (mode === 'register') {
        try {
          await api.post('/api/auth/register', { username: username.trim(), password });
        } catch (err) {
          if (err instanceof ApiError && err.status === 403) throw new Error(t('auth.registrationOff'));
          if (err instanceof ApiError && err.status === 409) throw new Error(t('auth.taken'));
          throw err;
        }
      }
      await login(username.trim(), password);
    } catch (err) {
      setError(mode === 'register' && !(err instanceof ApiError) ? (err as Error).message : loginError(err));
    } finally {
      setBusy(false);
    }
  };

  const switchMode = () => {
    setMode((m) => (m === 'login' ? 'register' : 'login'));
    setError('');
    setConfirm('');
  };

  return (
    <div className="login-page">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <form className="login-card card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <div className="login-brand">
          <span className="brand-mark" aria-hidden="true">
            M
          </span>
          <div>
            <h1 id="login-title">Maestro</h1>
            <p className="muted">{mode === 'login' ? t('auth.tagline') : t('auth.createAccount')}</p>
          </div>
        </div>
        {notice && (
          <div className={`alert ${notice === 'auth.expired' ? 'alert-warn' : 'alert-info'}`} role="status" data-testid="login-notice">
            <span>{t(notice)}</span>
            <button type="button" className="btn-link" onClick={clearNotice} aria-label={t('common.close')}>
              ×
            </button>
          </div>
        )}
        <div className="field">
          <label htmlFor="username">{t('auth.username')}</label>
          <input id="username" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </div>
        <div className="field">
          <label htmlFor="password">{t('auth.password')}</label>
          <input id="password" name="password" type="password" autoComplete={mode === 'login' ? 'current-password' : 'new-password'} value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        {mode === 'register' && (
          <div className="field">
            <label htmlFor="confirm">{t('settings.confirmPassword')}</label>
            <input id="confirm" name="confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </div>
        )}
        {error && (
          <div className="alert alert-error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? t('auth.signingIn') : mode === 'login' ? t('auth.signIn') : t('auth.register')}
        </button>
        <p className="login-switch">
          <button type="button" className="btn-link small" onClick={switchMode} data-testid="login-mode">
            {mode === 'login' ? t('auth.noAccount') : t('auth.haveAccount')}
          </button>
        </p>
      </form>
    </div>
  );
}
