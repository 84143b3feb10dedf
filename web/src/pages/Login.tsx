import { useState, type FormEvent } from 'react';
import { useAuth } from '../lib/auth';
import { LanguageSwitch, useI18n } from '../lib/i18n';
import { ApiError } from '../lib/api';
import { errorText } from '../components/ui';

export function LoginPage() {
  const { login, notice, clearNotice } = useAuth();
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError(t('auth.fillBoth'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      await login(username.trim(), password);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 400 || err.status === 422)) setError(t('auth.invalid'));
      else if (err instanceof ApiError && err.status === 403) setError(err.message || t('auth.disabled'));
      else setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
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
            <p className="muted">{t('auth.tagline')}</p>
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
          <input id="password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        {error && (
          <div className="alert alert-error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? t('auth.signingIn') : t('auth.signIn')}
        </button>
      </form>
    </div>
  );
}
