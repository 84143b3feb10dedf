import { useEffect, useState, type FormEvent } from 'react';
import { api, qs } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { validatePasswordChange, type Errors } from '../lib/validation';
import { ErrorBox, Field, Notice, Spinner } from '../components/ui';
import { ScholarlyEditor } from './ScholarlySettings';
import { PluginList } from '../components/PluginSources';
import { McpServersEditor } from './McpSettings';
import { AgentsSettings } from './AgentsSettings';

export const ROLES = ['fast', 'mid', 'intelligent', 'verifier'] as const;
/** Every endpoint section of the "models" settings document, in page order. */
export const TIERS = ['default', 'fast', 'mid', 'intelligent', 'verifier', 'embedding', 'rerank'] as const;
export const SEARCH_PROVIDERS = ['searxng', 'tavily', 'brave'] as const;
export const MASK = '********';

export interface Endpoint {
  provider: string;
  base_url: string;
  api_key: string;
  model: string;
  temperature: string;
  max_tokens: string;
  context_window: string;
}
export interface Effective {
  configured: boolean;
  provider: string;
  base_url: string;
  model: string;
  reason: string;
  /** the layer the value came from: env, server (admin defaults), user, none */
  source: string;
}
export interface SettingsForm {
  models: Record<string, Endpoint>;
  effective: Record<string, Effective>;
  search: { providers: string[]; searxng_url: string; tavily_api_key: string; brave_api_key: string };
  defaults: { max_rounds: string; max_passes: string; language: string; tone: string; length: string };
  mask_pii: boolean;
  /** fields of the research section this page does not edit, kept on save */
  researchExtra: Record<string, unknown>;
  searchExtra: Record<string, unknown>;
}

const s = (v: string | number | null | undefined) => (v === undefined || v === null ? '' : String(v));
function endpoint(e: C.StoredEndpoint = {}): Endpoint {
  return {
    provider: s(e.provider),
    base_url: s(e.base_url),
    api_key: s(e.api_key),
    model: s(e.model),
    temperature: s(e.temperature),
    max_tokens: s(e.max_tokens),
    context_window: s(e.context_window),
  };
}

/** GET/PUT /api/settings or /api/admin/settings (the admin's has no "effective") */
export type SettingsReply = Partial<Pick<C.Settings, 'models' | 'search' | 'research'>> & {
  effective?: Partial<Record<(typeof TIERS)[number], Partial<C.Endpoint>>>;
};

/**
 * GET /api/settings → form state. The server keeps three documents,
 * "models" (one endpoint per tier), "search" and "research", returns API keys
 * as "********", and adds "effective" (what each tier resolves to, with the
 * environment) which the page shows as placeholders.
 */
export function settingsToForm(x: SettingsReply): SettingsForm {
  const models = x.models ?? {};
  const research = x.research ?? {};
  const search = x.search ?? {};
  const eff = x.effective ?? {};
  const { max_rounds, max_passes, language, tone, length, mask_pii, ...researchExtra } = research;
  const { providers, searxng_url, tavily_api_key, brave_api_key, ...searchExtra } = search;
  return {
    models: Object.fromEntries(TIERS.map((t) => [t, endpoint(models[t])])),
    effective: Object.fromEntries(
      Object.entries(eff).map(([k, v]) => [k, { configured: !!v.configured, provider: s(v.provider), base_url: s(v.base_url), model: s(v.model), reason: s(v.reason), source: s(v.source) }]),
    ),
    search: { providers: providers ?? [], searxng_url: s(searxng_url), tavily_api_key: s(tavily_api_key), brave_api_key: s(brave_api_key) },
    defaults: { max_rounds: s(max_rounds ?? 5), max_passes: s(max_passes ?? 2), language: s(language || 'en'), tone: s(tone || 'neutral'), length: s(length || 'medium') },
    mask_pii: !!mask_pii,
    researchExtra,
    searchExtra,
  };
}

/** One endpoint as stored: only the fields that are set. */
export function endpointBody(e: Endpoint, o: Endpoint, forTest = false): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  if (e.base_url.trim()) out.base_url = e.base_url.trim();
  if (e.model.trim()) out.model = e.model.trim();
  if (e.provider) out.provider = e.provider;
  // a key left as the mask keeps the stored one; a cleared key ("") removes it
  if (e.api_key !== '' ? !(forTest && e.api_key.startsWith(MASK)) : o.api_key !== '' && !forTest) out.api_key = e.api_key;
  const t = Number(e.temperature);
  if (e.temperature.trim() !== '' && Number.isFinite(t)) out.temperature = t;
  for (const k of ['max_tokens', 'context_window'] as const) {
    const n = Number(e[k]);
    if (e[k].trim() !== '' && Number.isInteger(n)) out[k] = n;
  }
  return Object.keys(out).length ? out : null;
}

/** Form state → PUT /api/settings body (sections models, search, research). */
export function formToSettings(f: SettingsForm, orig: SettingsForm): { models: Record<string, Record<string, unknown>>; search: Record<string, unknown>; research: Record<string, unknown> } {
  const models: Record<string, Record<string, unknown>> = {};
  for (const t of TIERS) {
    const b = endpointBody(f.models[t], orig.models[t]);
    if (b) models[t] = b;
  }
  const search: Record<string, unknown> = { ...f.searchExtra };
  if (f.search.providers.length) search.providers = f.search.providers;
  if (f.search.searxng_url.trim()) search.searxng_url = f.search.searxng_url.trim();
  for (const k of ['tavily_api_key', 'brave_api_key'] as const)
    if (f.search[k] !== '' || orig.search[k] !== '') search[k] = f.search[k];
  return {
    models,
    search,
    research: {
      ...f.researchExtra,
      max_rounds: Number(f.defaults.max_rounds) || 5,
      max_passes: Number.isFinite(Number(f.defaults.max_passes)) ? Number(f.defaults.max_passes) : 2,
      language: f.defaults.language,
      tone: f.defaults.tone,
      length: f.defaults.length,
      mask_pii: f.mask_pii,
    },
  };
}

/** Where the page reads and writes: the user's own settings, or (admins) the server defaults. */
export function settingsPath(scope: 'user' | 'server'): string {
  return scope === 'server' ? '/api/admin/settings' : '/api/settings';
}

export function SettingsPage() {
  const { t } = useI18n();
  const { canWrite, user } = useAuth();
  const isAdmin = user?.role === 'admin';
  const [scope, setScope] = useState<'user' | 'server'>('user');
  const [orig, setOrig] = useState<SettingsForm | null>(null);
  const [f, setF] = useState<SettingsForm | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setF(null);
    setSaved(false);
    api
      .get<SettingsReply>(settingsPath(scope))
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
  }, [scope]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!f || !orig) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const form = settingsToForm(await api.put<SettingsReply>(settingsPath(scope), formToSettings(f, orig)));
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
      {isAdmin && (
        <div className="scope-switch" role="group" aria-label={t('settings.title')}>
          {(['user', 'server'] as const).map((x) => (
            <button key={x} type="button" className={`btn btn-sm ${scope === x ? 'btn-primary' : 'btn-secondary'}`} aria-pressed={scope === x} onClick={() => setScope(x)} data-testid={`scope-${x}`}>
              {t(x === 'user' ? 'settings.scopeUser' : 'settings.scopeServer')}
            </button>
          ))}
        </div>
      )}
      {scope === 'server' && <Notice kind="info">{t('settings.serverHint')}</Notice>}
      <form onSubmit={save} noValidate>
        <fieldset disabled={!canWrite} className="plain">
          <section className="card">
            <h2>{t('settings.models')}</h2>
            <p className="muted small">{t('settings.modelsHint')}</p>
            {(['default', ...ROLES] as string[]).map((tier) => (
              <EndpointEditor
                key={tier}
                id={`m-${tier}`}
                title={t(`settings.role.${tier}`)}
                value={f.models[tier]}
                orig={orig!.models[tier]}
                effective={f.effective[tier]}
                onChange={(e) => setModel(tier, e)}
                kind="llm"
                tier={tier}
                full
              />
            ))}
          </section>
          <section className="card">
            <h2>{t('settings.embeddings')}</h2>
            <EndpointEditor id="m-embedding" title={t('settings.embeddingModel')} value={f.models.embedding} orig={orig!.models.embedding} effective={f.effective.embedding} onChange={(e) => setModel('embedding', e)} kind="embedding" tier="embedding" />
            <EndpointEditor id="m-rerank" title={t('settings.rerank')} value={f.models.rerank} orig={orig!.models.rerank} effective={f.effective.rerank} onChange={(e) => setModel('rerank', e)} kind="rerank" tier="rerank" noProvider />
          </section>
          <section className="card">
            <h2>{t('settings.search')}</h2>
            <SearchEditor value={f.search} orig={orig!.search} onChange={(v) => setF({ ...f, search: v })} />
            <ScholarlyEditor doc={f.searchExtra} onChange={(d) => setF({ ...f, searchExtra: d })} />
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
      <PluginList />
      <McpServersEditor scope={scope} canWrite={canWrite} />
      <AgentsSettings isAdmin={isAdmin} />
      <PasswordForm />
    </div>
  );
}

const CHECK_FLAGS = ['models_ok', 'model_found', 'chat_ok', 'embedding_ok'] as const;

/** what a "Test connection" shows: the server's answer, a message of the page, or the request's error */
type Shown = (C.TestConnection & { message?: string }) | Error | null;

function TestResult({ result }: { result: Shown }) {
  const { t } = useI18n();
  if (!result) return null;
  if (result instanceof Error) return <div className="alert alert-error small" role="alert">{result.message}</div>;
  const ok = result.ok;
  const flags = CHECK_FLAGS.filter((k) => typeof result[k] === 'boolean');
  const err = result.error ?? '';
  return (
    <div className={`alert ${ok ? 'alert-success' : 'alert-error'} small`} role="status" data-testid="test-result">
      <strong>{ok ? t('settings.testOk') : t('settings.testFailed')}</strong>
      {result.message && <span> — {String(result.message)}</span>}
      {err && <span> — {err}</span>}
      {typeof result.latency_ms === 'number' && <span className="muted"> ({result.latency_ms} ms)</span>}
      {flags.length > 0 && (
        <ul className="check-flags">
          {flags.map((k) => (
            <li key={k}>
              {result[k] ? '✓' : '✗'} {t(`settings.check.${k}`)}
            </li>
          ))}
          {typeof result.dimension === 'number' && result.dimension > 0 && <li>{t('settings.dimension', { n: result.dimension })}</li>}
        </ul>
      )}
      {typeof result.results === 'number' && <div>{t('settings.searchResults', { n: result.results })}</div>}
    </div>
  );
}

function EndpointEditor({
  id,
  title,
  value,
  orig,
  effective,
  onChange,
  kind,
  tier,
  full,
  noProvider,
}: {
  id: string;
  title: string;
  value: Endpoint;
  orig: Endpoint;
  effective?: Effective;
  onChange: (e: Endpoint) => void;
  kind: 'llm' | 'embedding' | 'rerank';
  tier: string;
  full?: boolean;
  noProvider?: boolean;
}) {
  const { t } = useI18n();
  const [result, setResult] = useState<Shown>(null);
  const [models, setModels] = useState<string[]>([]);
  const [busy, setBusy] = useState('');
  const set = (k: keyof Endpoint, v: string) => onChange({ ...value, [k]: v });

  const test = async () => {
    setBusy('test');
    setResult(null);
    try {
      const body: Record<string, unknown> = { kind, endpoint: endpointBody(value, orig, true) ?? {} };
      if (kind === 'llm' && tier !== 'default') body.tier = tier;
      setResult(await api.post<C.TestConnection>('/api/settings/test-connection', body));
    } catch (e) {
      setResult(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy('');
    }
  };
  const listModels = async () => {
    setBusy('models');
    try {
      const list = (await api.get<C.ModelList>(`/api/settings/models${qs({ endpoint: tier === 'default' ? 'mid' : tier })}`)).models;
      setModels(list);
      if (!list.length) setResult({ ok: false, message: t('settings.noModels') });
    } catch (e) {
      setResult(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy('');
    }
  };
  const eff = effective;
  // tiers with nothing of their own start folded, to keep the page short
  const [open, setOpen] = useState(() => tier === 'default' || Object.values(orig).some((v) => v !== ''));

  return (
    <details className="endpoint" data-testid={`endpoint-${id}`} open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        <span className="endpoint-title">{title}</span>
        {eff && (
          <span className={`eff ${eff.configured ? 'eff-ok' : 'eff-off'}`} title={eff.reason || undefined}>
            {eff.configured ? t('settings.inUse', { model: eff.model || '—' }) : t('settings.notConfigured')}
            {eff.configured && eff.source && <span className="muted"> · {t(`settings.from.${eff.source}`)}</span>}
          </span>
        )}
      </summary>
      <div className="grid-3">
        {!noProvider && (
          <Field label={t('settings.provider')} htmlFor={`${id}-prov`}>
            <select id={`${id}-prov`} value={value.provider} onChange={(e) => set('provider', e.target.value)}>
              <option value="">{t('settings.inherit')}{eff?.provider ? ` (${eff.provider})` : ''}</option>
              <option value="openai">{t('settings.openaiCompat')}</option>
              <option value="ollama">Ollama</option>
            </select>
          </Field>
        )}
        <Field label={t('settings.baseUrl')} htmlFor={`${id}-url`}>
          <input id={`${id}-url`} value={value.base_url} onChange={(e) => set('base_url', e.target.value)} placeholder={eff?.base_url || 'http://localhost:11434'} />
        </Field>
        <Field label={t('settings.model')} htmlFor={`${id}-model`}>
          <input id={`${id}-model`} value={value.model} onChange={(e) => set('model', e.target.value)} list={`${id}-models`} placeholder={eff?.model || undefined} />
          <datalist id={`${id}-models`}>
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </Field>
        <Field label={t('settings.apiKey')} htmlFor={`${id}-key`} hint={value.api_key.startsWith(MASK) ? t('settings.keyStored') : undefined}>
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
      {kind !== 'rerank' && (
        <div className="endpoint-actions">
          <button type="button" className="btn btn-secondary btn-sm" onClick={test} disabled={!!busy}>
            {busy === 'test' ? t('settings.testing') : t('settings.test')}
          </button>
          <button type="button" className="btn btn-ghost btn-sm" onClick={listModels} disabled={!!busy}>
            {busy === 'models' ? t('common.loading') : t('settings.listModels')}
          </button>
          {models.length > 0 && <span className="muted small">{t('settings.modelsFound', { n: models.length })}</span>}
        </div>
      )}
      <TestResult result={result} />
    </details>
  );
}

function SearchEditor({ value, orig, onChange }: { value: SettingsForm['search']; orig: SettingsForm['search']; onChange: (v: SettingsForm['search']) => void }) {
  const { t } = useI18n();
  const [result, setResult] = useState<Shown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (p: string, on: boolean) => onChange({ ...value, providers: on ? [...value.providers.filter((x) => x !== p), p] : value.providers.filter((x) => x !== p) });
  const test = async () => {
    setBusy(true);
    setResult(null);
    try {
      const search: Record<string, unknown> = {};
      if (value.providers.length) search.providers = value.providers;
      if (value.searxng_url.trim()) search.searxng_url = value.searxng_url.trim();
      for (const k of ['tavily_api_key', 'brave_api_key'] as const) if (value[k] && !value[k].startsWith(MASK)) search[k] = value[k];
      setResult(await api.post<C.TestConnection>('/api/settings/test-connection', { kind: 'search', search }));
    } catch (e) {
      setResult(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  void orig;
  return (
    <fieldset className="endpoint" data-testid="endpoint-search">
      <div className="field">
        <span className="label">{t('settings.searchProviders')}</span>
        <div className="check-row">
          {SEARCH_PROVIDERS.map((p) => (
            <label key={p} className="check">
              <input type="checkbox" checked={value.providers.includes(p)} onChange={(e) => toggle(p, e.target.checked)} /> {t(`settings.provider.${p}`)}
            </label>
          ))}
        </div>
        <div className="hint">{t('settings.searchProvidersHint')}</div>
      </div>
      <div className="grid-3">
        <Field label={t('settings.searxngUrl')} htmlFor="s-url">
          <input id="s-url" value={value.searxng_url} onChange={(e) => onChange({ ...value, searxng_url: e.target.value })} placeholder="http://localhost:8080" />
        </Field>
        <Field label={t('settings.tavilyKey')} htmlFor="s-tavily" hint={value.tavily_api_key.startsWith(MASK) ? t('settings.keyStored') : undefined}>
          <input id="s-tavily" type="password" autoComplete="off" value={value.tavily_api_key} onChange={(e) => onChange({ ...value, tavily_api_key: e.target.value })} />
        </Field>
        <Field label={t('settings.braveKey')} htmlFor="s-brave" hint={value.brave_api_key.startsWith(MASK) ? t('settings.keyStored') : undefined}>
          <input id="s-brave" type="password" autoComplete="off" value={value.brave_api_key} onChange={(e) => onChange({ ...value, brave_api_key: e.target.value })} />
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
