import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, normUser, type Role, type User } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { validateNewUser, type Errors } from '../lib/validation';
import { ErrorBox, Field, Modal, Notice, Spinner } from '../components/ui';

const ROLES: Role[] = ['admin', 'researcher', 'viewer'];

export function AdminPage() {
  const { t, fmtDate } = useI18n();
  const { user: me } = useAuth();
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [registration, setRegistration] = useState<boolean | null>(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(() => {
    api
      .get<C.UserList>('/api/admin/users')
      .then((r) => setUsers(r.users.map(normUser)))
      .catch((e) => {
        setError(e);
        setUsers([]);
      });
  }, []);
  useEffect(load, [load]);
  useEffect(() => {
    api
      .get<C.AdminSettings>('/api/admin/settings')
      .then((r) => setRegistration(r.registration_open))
      .catch(() => setRegistration(null));
  }, []);

  const patch = async (u: User, body: Record<string, unknown>, msg?: string) => {
    setError(null);
    setNotice('');
    try {
      const updated = normUser(await api.patch<C.User>(`/api/admin/users/${u.id}`, body));
      // keep fields the reply leaves out (created_at, ...) instead of blanking them
      const known = Object.fromEntries(Object.entries(updated).filter(([, v]) => v !== '' && v !== undefined));
      setUsers((l) => (l ?? []).map((x) => (x.id === u.id ? { ...x, ...known } : x)));
      if (msg) setNotice(msg);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const remove = async (u: User) => {
    if (!window.confirm(t('admin.confirmDelete', { name: u.username }))) return;
    try {
      await api.del(`/api/admin/users/${u.id}`);
      setUsers((l) => (l ?? []).filter((x) => x.id !== u.id));
    } catch (e) {
      setError(e);
    }
  };
  const toggleRegistration = async (v: boolean) => {
    try {
      const r = await api.put<C.AdminSettings>('/api/admin/settings', { registration_open: v });
      setRegistration(r.registration_open);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('admin.title')}</h1>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)} data-testid="user-new">
          + {t('admin.newUser')}
        </button>
      </div>
      {registration !== null && (
        <div className="card row-between">
          <div>
            <strong>{t('admin.registration')}</strong>
            <div className="muted small">{t('admin.registrationHint')}</div>
          </div>
          <label className="switch">
            <input type="checkbox" checked={registration} onChange={(e) => void toggleRegistration(e.target.checked)} data-testid="registration-toggle" />
            <span>{registration ? t('admin.on') : t('admin.off')}</span>
          </label>
        </div>
      )}
      {notice && <Notice kind="success">{notice}</Notice>}
      <ErrorBox error={error} onClose={() => setError(null)} />
      <section className="card">
        {users === null ? (
          <Spinner />
        ) : (
          <div className="table-wrap">
            <table className="table users-table">
              <thead>
                <tr>
                  <th>{t('auth.username')}</th>
                  <th>{t('admin.role')}</th>
                  <th>{t('admin.status')}</th>
                  <th>{t('admin.created')}</th>
                  <th className="col-actions">{t('common.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => {
                  const self = u.id === me?.id || u.username === me?.username;
                  return (
                    <tr key={u.id} data-testid="user-row">
                      <td>
                        {u.username}
                        {self && <span className="muted small"> ({t('admin.you')})</span>}
                      </td>
                      <td>
                        <select value={u.role} disabled={self} aria-label={t('admin.roleOf', { name: u.username })} onChange={(e) => void patch(u, { role: e.target.value })}>
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {t(`role.${r}`)}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <span className={`badge ${u.active ? 'badge-completed' : 'badge-stopped'}`}>{u.active ? t('admin.active') : t('admin.disabled')}</span>
                      </td>
                      <td className="small nowrap">{fmtDate(u.created_at || '')}</td>
                      <td className="col-actions">
                        <button type="button" className="btn btn-ghost btn-sm" disabled={self} onClick={() => void patch(u, { active: !u.active })}>
                          {u.active ? t('admin.disable') : t('admin.enable')}
                        </button>
                        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setResetting(u)}>
                          {t('admin.resetPassword')}
                        </button>
                        <button type="button" className="btn btn-ghost btn-sm danger" disabled={self} onClick={() => void remove(u)}>
                          {t('common.delete')}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {creating && (
        <CreateUserModal
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            load();
          }}
        />
      )}
      {resetting && (
        <ResetModal
          user={resetting}
          onClose={() => setResetting(null)}
          onSave={async (pw) => {
            if (await patch(resetting, { password: pw }, t('admin.passwordReset', { name: resetting.username }))) setResetting(null);
          }}
        />
      )}
    </div>
  );
}

function CreateUserModal({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('researcher');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs = validateNewUser(username, password);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    try {
      await api.post('/api/admin/users', { username: username.trim(), password, role });
      onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal title={t('admin.newUser')} onClose={onClose}>
      <form onSubmit={submit} className="form" noValidate>
        <Field label={t('auth.username')} htmlFor="u-name" error={errors.username}>
          <input id="u-name" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
        </Field>
        <Field label={t('auth.password')} htmlFor="u-pw" error={errors.password}>
          <input id="u-pw" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
        </Field>
        <Field label={t('admin.role')} htmlFor="u-role">
          <select id="u-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <ErrorBox error={error} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" data-testid="user-create">
            {t('common.create')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ResetModal({ user, onClose, onSave }: { user: User; onClose: () => void; onSave: (pw: string) => void }) {
  const { t } = useI18n();
  const [pw, setPw] = useState('');
  const [err, setErr] = useState('');
  return (
    <Modal title={t('admin.resetFor', { name: user.username })} onClose={onClose}>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (pw.length < 8) {
            setErr('v.passwordShort');
            return;
          }
          onSave(pw);
        }}
      >
        <Field label={t('settings.newPassword')} htmlFor="r-pw" error={err}>
          <input id="r-pw" type="password" value={pw} onChange={(e) => setPw(e.target.value)} autoComplete="new-password" />
        </Field>
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
