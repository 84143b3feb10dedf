import { useEffect, useState, type FormEvent } from 'react';
import { api, pickList, qs } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { validatePasswordChange, type Errors } from '../lib/validation';
import { ErrorBox, Field, Notice, Spinner } from '../components/ui';

export const ROLES = ['fast', 'mid', 'intelligent', 'verifier'] as const;

export interface Endpoint {
  provider: string;
  base_url: string;
  api_key: string;
  model: string;
  temperature: string;
  max_tokens: string;
  context_window: string;
}
export interface SettingsForm {
  models: Record<string, Endpoint>;
  embedding: Endpoint;
  rerank: Endpoint;
  search: { provider: string; url: string; api_key: string };
  defaults: { max_rounds: string; max_passes: string; language: string; tone: string; length: string };
  mask_pii: boolean;
}

const s = (v: any) => (v === undefined || v === null ? '' : String(v));
function endpoint(r: any): Endpoint {
  const e = r || {};
  return {
    provider: s(e.provider || 'openai'),
    base_url: s(e.base_url ?? e.url ?? e.endpoint),
    api_key: s(e.api_key),
    model: s(e.model ?? e.name),
    temperature: s(e.temperature),
    max_tokens: s(e.max_tokens),
    context_window: s(e.context_window),
  };
}

/** GET /api/settings → form state, tolerant of naming. */
export function settingsToForm(r: any): SettingsForm {
  const x = r?.settings && typeof r.settings === 'object' ? r.settings : r || {};
  const models = x.models ?? x.llm ?? x.roles ?? {};
  const d = x.research_defaults ?? x.research ?? x.defaults ?? {};
  const search = x.search ?? {};
  return {
    models: Object.fromEntries(ROLES.map((role) => [role, endpoint(models[role])])),
    embedding: endpoint(x.embedding ?? x.embeddings),
    rerank: endpoint(x.rerank),
    search: { provider: s(search.provider || 'searxng'), url: s(search.url ?? search.base_url), api_key: s(search.api_key) },
    defaults: { max_rounds: s(d.max_rounds ?? 5), max_passes: s(d.max_passes ?? 2), language: s(d.language || 'en'), tone: s(d.tone || 'neutral'), length: s(d.length || 'medium') },
    mask_pii: !!(x.mask_pii ?? x.privacy?.mask_pii),
  };
}

const numOrNull = (v: string) => (v.trim() === '' ? undefined : Number(v));

/**
 * Form state → PUT body. API keys are write-only: a key still equal to the
 * masked value the server sent is left out so it is not overwritten.
 */
export function formToSettings(f: SettingsForm, orig: SettingsForm): any {
  const ep = (e: Endpoint, o: Endpoint) => {
    const out: Record<string, unknown> = { provider: e.provider, base_url: e.base_url.trim(), model: e.model.trim() };
    if (e.api_key !== o.api_key) out.api_key = e.api_key;
    for (const k of ['temperature', 'max_tokens', 'context_window'] as const) {
      const n = numOrNull(e[k]);
      if (n !== undefined && Number.isFinite(n)) out[k] = n;
    }
    return out;
  };
  const search: Record<string, unknown> = { provider: f.search.provider, url: f.search.url.trim() };
  if (f.search.api_key !== orig.search.api_key) search.api_key = f.search.api_key;
  return {
    models: Object.fromEntries(ROLES.map((r) => [r, ep(f.models[r], orig.models[r])])),
    embedding: ep(f.embedding, orig.embedding),
    rerank: { url: f.rerank.base_url.trim(), model: f.rerank.model.trim(), ...(f.rerank.api_key !== orig.rerank.api_key ? { api_key: f.rerank.api_key } : {}) },
    search,
    research_defaults: {
      max_rounds: Number(f.defaults.max_rounds) || 5,
      max_passes: Number(f.defaults.max_passes) || 0,
      language: f.defaults.language,
      tone: f.defaults.tone,
      length: f.defaults.length,
    },
    mask_pii: f.mask_pii,
  };
}

export function SettingsPage() {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const [orig, setOrig] = useState<SettingsForm | null>(null);
  const [f, setF] = useState<SettingsForm | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .get('/api/settings')
      .then((r) => {
        const form = settingsToForm(r);
        setOrig(form);
        setF(form);
      })
      .catch((e) => {
        setError(e);
        const form = settingsToForm({});
        setOrig(form);
        setF(form);
      });
  }, []);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!f || !orig) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const r = await api.put('/api/settings', formToSettings(f, orig));
      const form = r && typeof r === 'object' && Object.keys(r).length ? settingsToForm(r) : f;
      setOrig(form);
      setF(form);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!f) return <div className="page"><Spinner /></div>;
  const setModel = (role: string, e: Endpoint) => setF({ ...f, models: { ...f.models, [role]: e } });

  return (
    <div className="page page-narrow settings-page">
      <h1>{t('settings.title')}</h1>
      <form onSubmit={save} noValidate>
        <fieldset disabled={!canWrite} className="plain">
          <section className="card">
            <h2>{t('settings.models')}</h2>
            <p className="muted small">{t('settings.modelsHint')}</p>
            {ROLES.map((role) => (
              <EndpointEditor key={role} id={`m-${role}`} title={t(`settings.role.${role}`)} value={f.models[role]} onChange={(e) => setModel(role, e)} kind="llm" role={role} full />
            ))}
          </section>
          <section className="card">
            <h2>{t('settings.embeddings')}</h2>
            <EndpointEditor id="emb" title={t('settings.embeddingModel')} value={f.embedding} onChange={(e) => setF({ ...f, embedding: e })} kind="embedding" />
            <EndpointEditor id="rerank" title={t('settings.rerank')} value={f.rerank} onChange={(e) => setF({ ...f, rerank: e })} kind="rerank" noProvider />
          </section>
          <section className="card">
            <h2>{t('settings.search')}</h2>
            <SearchEditor value={f.search} onChange={(v) => setF({ ...f, search: v })} />
          </section>
          <section className="card">
            <h2>{t('settings.defaults')}</h2>
            <div className="grid-3">
              <Field label={t('new.rounds')} htmlFor="d-rounds">
                <input id="d-rounds" inputMode="numeric" value={f.defaults.max_rounds} onChange={(e) => setF({ ...f, defaults: { ...f.defaults, max_rounds: e.target.value } })} />
              </Field>
              <Field label={t('new.passes')} htmlFor="d-passes">
                <input id="d-passes" inputMode="numeric" value={f.defaults.max_passes} onChange={(e) => setF({ ...f, defaults: { ...f.defaults, max_passes: e.target.value } })} />
              </Field>
              <Field label={t('new.language')} htmlFor="d-lang">
                <select id="d-lang" value={f.defaults.language} onChange={(e) => setF({ ...f, defaults: { ...f.defaults, language: e.target.value } })}>
                  <option value="en">English</option>
                  <option value="ko">한국어</option>
                  <option value="ja">日本語</option>
                  <option value="zh">中文</option>
                  <option value="de">Deutsch</option>
                  <option value="fr">Français</option>
                  <option value="es">Español</option>
                </select>
              </Field>
              <Field label={t('new.tone')} htmlFor="d-tone">
                <select id="d-tone" value={f.defaults.tone} onChange={(e) => setF({ ...f, defaults: { ...f.defaults, tone: e.target.value } })}>
                  {['neutral', 'academic', 'business', 'casual'].map((x) => (
                    <option key={x} value={x}>
                      {t(`tone.${x}`)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('new.length')} htmlFor="d-length">
                <select id="d-length" value={f.defaults.length} onChange={(e) => setF({ ...f, defaults: { ...f.defaults, length: e.target.value } })}>
                  {['short', 'medium', 'long'].map((x) => (
                    <option key={x} value={x}>
                      {t(`length.${x}`)}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
            <label className="check">
              <input type="checkbox" checked={f.mask_pii} onChange={(e) => setF({ ...f, mask_pii: e.target.checked })} /> {t('settings.maskPii')}
            </label>
          </section>
        </fieldset>
        {saved && <Notice kind="success">{t('settings.saved')}</Notice>}
        <ErrorBox error={error} onClose={() => setError(null)} />
        {canWrite && (
          <div className="form-actions sticky-actions">
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="settings-save">
              {busy ? t('common.saving') : t('common.save')}
            </button>
          </div>
        )}
      </form>
      <PasswordForm />
    </div>
  );
}

function TestResult({ result }: { result: any }) {
  const { t } = useI18n();
  if (!result) return null;
  if (result instanceof Error) return <div className="alert alert-error small" role="alert">{result.message}</div>;
  const ok = result.ok ?? result.success ?? (Array.isArray(result.results) ? result.results.every((x: any) => x.ok) : undefined);
  const parts: any[] = Array.isArray(result.results) ? result.results : Array.isArray(result.checks) ? result.checks : [];
  return (
    <div className={`alert ${ok ? 'alert-success' : 'alert-error'} small`} role="status" data-testid="test-result">
      <strong>{ok ? t('settings.testOk') : t('settings.testFailed')}</strong>
      {result.message && <span> — {String(result.message)}</span>}
      {result.error && <span> — {typeof result.error === 'string' ? result.error : result.error.message}</span>}
      {result.latency_ms !== undefined && <span className="muted"> ({result.latency_ms} ms)</span>}
      {parts.length > 0 && (
        <ul>
          {parts.map((p, i) => (
            <li key={i}>
              {p.ok ? '✓' : '✗'} {p.name ?? p.check ?? p.kind} {p.message ? `— ${p.message}` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function EndpointEditor({ id, title, value, onChange, kind, role, full, noProvider }: { id: string; title: string; value: Endpoint; onChange: (e: Endpoint) => void; kind: string; role?: string; full?: boolean; noProvider?: boolean }) {
  const { t } = useI18n();
  const [result, setResult] = useState<any>(null);
  const [models, setModels] = useState<string[]>([]);
  const [busy, setBusy] = useState('');
  const set = (k: keyof Endpoint, v: string) => onChange({ ...value, [k]: v });

  const test = async () => {
    setBusy('test');
    setResult(null);
    try {
      const body: Record<string, unknown> = { kind: kind === 'rerank' ? 'rerank' : kind, base_url: value.base_url, url: value.base_url, model: value.model, provider: value.provider };
      if (role) body.role = role;
      if (value.api_key && !/^\*+|•/.test(value.api_key)) body.api_key = value.api_key;
      setResult(await api.post('/api/settings/test-connection', body));
    } catch (e) {
      setResult(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy('');
    }
  };
  const listModels = async () => {
    setBusy('models');
    try {
      const r = await api.get(`/api/settings/models${qs({ endpoint: value.base_url, provider: value.provider, role, kind })}`);
      const list = pickList(r, 'models').map((m: any) => (typeof m === 'string' ? m : String(m.id ?? m.name ?? m.model)));
      setModels(list);
      if (!list.length) setResult({ ok: false, message: t('settings.noModels') });
    } catch (e) {
      setResult(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy('');
    }
  };

  return (
    <fieldset className="endpoint" data-testid={`endpoint-${id}`}>
      <legend>{title}</legend>
      <div className="grid-3">
        {!noProvider && (
          <Field label={t('settings.provider')} htmlFor={`${id}-prov`}>
            <select id={`${id}-prov`} value={value.provider} onChange={(e) => set('provider', e.target.value)}>
              <option value="openai">{t('settings.openaiCompat')}</option>
              <option value="ollama">Ollama</option>
            </select>
          </Field>
        )}
        <Field label={t('settings.baseUrl')} htmlFor={`${id}-url`}>
          <input id={`${id}-url`} value={value.base_url} onChange={(e) => set('base_url', e.target.value)} placeholder="http://localhost:11434" />
        </Field>
        <Field label={t('settings.model')} htmlFor={`${id}-model`}>
          <input id={`${id}-model`} value={value.model} onChange={(e) => set('model', e.target.value)} list={`${id}-models`} />
          <datalist id={`${id}-models`}>
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </Field>
        <Field label={t('settings.apiKey')} htmlFor={`${id}-key`} hint={value.api_key ? t('settings.keyStored') : undefined}>
          <input id={`${id}-key`} type="password" autoComplete="off" value={value.api_key} onChange={(e) => set('api_key', e.target.value)} />
        </Field>
        {full && (
          <>
            <Field label={t('settings.temperature')} htmlFor={`${id}-temp`}>
              <input id={`${id}-temp`} inputMode="decimal" value={value.temperature} onChange={(e) => set('temperature', e.target.value)} />
            </Field>
            <Field label={t('settings.maxTokens')} htmlFor={`${id}-maxtok`}>
              <input id={`${id}-maxtok`} inputMode="numeric" value={value.max_tokens} onChange={(e) => set('max_tokens', e.target.value)} />
            </Field>
            <Field label={t('settings.contextWindow')} htmlFor={`${id}-ctx`}>
              <input id={`${id}-ctx`} inputMode="numeric" value={value.context_window} onChange={(e) => set('context_window', e.target.value)} />
            </Field>
          </>
        )}
      </div>
      <div className="endpoint-actions">
        <button type="button" className="btn btn-secondary btn-sm" onClick={test} disabled={!!busy}>
          {busy === 'test' ? t('settings.testing') : t('settings.test')}
        </button>
        {kind !== 'rerank' && (
          <button type="button" className="btn btn-ghost btn-sm" onClick={listModels} disabled={!!busy}>
            {busy === 'models' ? t('common.loading') : t('settings.listModels')}
          </button>
        )}
        {models.length > 0 && <span className="muted small">{t('settings.modelsFound', { n: models.length })}</span>}
      </div>
      <TestResult result={result} />
    </fieldset>
  );
}

function SearchEditor({ value, onChange }: { value: SettingsForm['search']; onChange: (v: SettingsForm['search']) => void }) {
  const { t } = useI18n();
  const [result, setResult] = useState<any>(null);
  const [busy, setBusy] = useState(false);
  const test = async () => {
    setBusy(true);
    setResult(null);
    try {
      const body: Record<string, unknown> = { kind: 'search', provider: value.provider, url: value.url, base_url: value.url };
      if (value.api_key) body.api_key = value.api_key;
      setResult(await api.post('/api/settings/test-connection', body));
    } catch (e) {
      setResult(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset className="endpoint">
      <div className="grid-3">
        <Field label={t('settings.provider')} htmlFor="s-prov">
          <select id="s-prov" value={value.provider} onChange={(e) => onChange({ ...value, provider: e.target.value })}>
            <option value="searxng">SearXNG</option>
            <option value="tavily">Tavily</option>
            <option value="brave">Brave</option>
            <option value="jina">Jina</option>
            <option value="none">{t('settings.noSearch')}</option>
          </select>
        </Field>
        <Field label={t('settings.baseUrl')} htmlFor="s-url">
          <input id="s-url" value={value.url} onChange={(e) => onChange({ ...value, url: e.target.value })} placeholder="http://localhost:8080" />
        </Field>
        <Field label={t('settings.apiKey')} htmlFor="s-key">
          <input id="s-key" type="password" autoComplete="off" value={value.api_key} onChange={(e) => onChange({ ...value, api_key: e.target.value })} />
        </Field>
      </div>
      <div className="endpoint-actions">
        <button type="button" className="btn btn-secondary btn-sm" onClick={test} disabled={busy}>
          {busy ? t('settings.testing') : t('settings.test')}
        </button>
      </div>
      <TestResult result={result} />
    </fieldset>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs = validatePasswordChange(cur, next, confirm);
    setErrors(errs);
    setDone(false);
    if (Object.keys(errs).length) return;
    setError(null);
    try {
      await api.post('/api/auth/change-password', { current_password: cur, new_password: next });
      setDone(true);
      setCur('');
      setNext('');
      setConfirm('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="password-form">
      <h2>{t('settings.changePassword')}</h2>
      <div className="grid-3">
        <Field label={t('settings.currentPassword')} htmlFor="pw-cur" error={errors.current}>
          <input id="pw-cur" type="password" autoComplete="current-password" value={cur} onChange={(e) => setCur(e.target.value)} />
        </Field>
        <Field label={t('settings.newPassword')} htmlFor="pw-new" error={errors.next}>
          <input id="pw-new" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </Field>
        <Field label={t('settings.confirmPassword')} htmlFor="pw-confirm" error={errors.confirm}>
          <input id="pw-confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </Field>
      </div>
      {done && <Notice kind="success">{t('settings.passwordChanged')}</Notice>}
      <ErrorBox error={error} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary">
          {t('settings.changePassword')}
        </button>
      </div>
    </form>
  );
}
