/*
 * Settings → Agents (docs/extending.md, "Custom agents"): the custom agents
 * of GET /api/agents. Every user sees the enabled ones (a mission may name
 * them in settings.custom_agents); an admin also creates them (POST), edits
 * them (PUT: each change is a new version), disables or enables them
 * (DELETE / PUT {disabled: false}) and reads their version history
 * (GET /api/agents/{name}). A 422 names the field at fault: its message is
 * shown under that field.
 */
import { useEffect, useState } from 'react';
import { api, ApiError } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { ErrorBox, Field, Notice } from '../components/ui';

export const AGENT_POSITIONS = ['after_research', 'before_writing'] as const;
export const AGENT_SOURCES = ['local_documents', 'web_search', 'scholarly'] as const;

export interface AgentForm {
  name: string;
  description: string;
  prompt: string;
  position: (typeof AGENT_POSITIONS)[number];
  sources: string[];
  /** one tool per line: plugin.tool or server.tool */
  tools: string;
}

export const emptyAgent = (): AgentForm => ({ name: '', description: '', prompt: '', position: 'after_research', sources: [], tools: '' });

/** An agent as the API shows it → the form. */
export function agentToForm(a: C.Agent): AgentForm {
  return { name: a.name, description: a.description, prompt: a.prompt, position: a.position, sources: a.sources, tools: a.tools.join('\n') };
}

/** The form → the body of POST/PUT /api/agents. */
export function agentBody(f: AgentForm): Omit<C.AgentDefinition, 'position'> & { name: string; position: string } {
  return {
    name: f.name.trim(),
    description: f.description,
    prompt: f.prompt,
    position: f.position,
    sources: f.sources,
    tools: f.tools
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** The field a 422 names, with its message; null for other errors. */
export function fieldError(e: unknown): { field: string; message: string } | null {
  if (!(e instanceof ApiError) || e.status !== 422) return null;
  const field = e.body?.error?.field;
  return typeof field === 'string' ? { field, message: e.message } : null;
}

export function AgentsSettings({ isAdmin }: { isAdmin: boolean }) {
  const { t } = useI18n();
  const [agents, setAgents] = useState<C.Agent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [form, setForm] = useState<AgentForm | null>(null);
  const [editing, setEditing] = useState<string | null>(null); // the name when editing, null when creating
  const [bad, setBad] = useState<{ field: string; message: string } | null>(null);
  const [history, setHistory] = useState<{ name: string; versions: C.AgentWithVersions['versions'] } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    api
      .get<C.AgentList>('/api/agents')
      .then((r) => setAgents(r.agents))
      .catch(setError);
  useEffect(() => {
    load();
  }, []);

  const open = (a: C.Agent | null) => {
    setForm(a ? agentToForm(a) : emptyAgent());
    setEditing(a ? a.name : null);
    setBad(null);
    setSaved(null);
    setHistory(null);
  };
  const save = async () => {
    if (!form) return;
    setBusy(true);
    setBad(null);
    setError(null);
    try {
      const r = editing
        ? await api.put<C.Agent>(`/api/agents/${encodeURIComponent(editing)}`, agentBody(form))
        : await api.post<C.Agent>('/api/agents', agentBody(form));
      setSaved(t('agents.saved', { name: r.name, version: r.version }));
      setForm(null);
      setEditing(null);
      await load();
    } catch (e) {
      const f = fieldError(e);
      if (f) setBad(f);
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const toggle = async (a: C.Agent) => {
    setError(null);
    try {
      if (a.disabled) await api.put(`/api/agents/${encodeURIComponent(a.name)}`, { disabled: false });
      else await api.del(`/api/agents/${encodeURIComponent(a.name)}`);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const showHistory = async (name: string) => {
    setError(null);
    try {
      const r = await api.get<C.AgentWithVersions>(`/api/agents/${encodeURIComponent(name)}`);
      setHistory({ name, versions: r.versions });
    } catch (e) {
      setError(e);
    }
  };
  const fieldErr = (f: string) => (bad?.field === f ? bad.message : undefined);
  const set = (p: Partial<AgentForm>) => form && setForm({ ...form, ...p });

  return (
    <section className="card" data-testid="agents-settings">
      <h2>{t('agents.title')}</h2>
      <p className="muted small">{t(isAdmin ? 'agents.hintAdmin' : 'agents.hintUser')}</p>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {saved && <Notice kind="success">{saved}</Notice>}
      {agents && !agents.length && <p className="muted">{t('agents.none')}</p>}
      <ul className="plain-list" data-testid="agents-list">
        {(agents ?? []).map((a) => (
          <li key={a.name} className="card-inset" data-testid={`agent-${a.name}`}>
            <div>
              <strong>{a.name}</strong> <span className="muted small">{t('agents.version', { n: a.version })}</span>{' '}
              <span className="badge">{t(`agents.position.${a.position}`)}</span>
              {a.disabled && <span className="badge badge-stopped"> {t('agents.disabled')}</span>}
              {a.origin === 'file' && <span className="muted small"> {t('agents.fromFile')}</span>}
            </div>
            {a.description && <p className="small">{a.description}</p>}
            {isAdmin && (
              <div className="form-actions">
                <button type="button" className="btn btn-sm btn-secondary" onClick={() => open(a)} data-testid={`agent-edit-${a.name}`}>
                  {t('agents.edit')}
                </button>
                <button type="button" className="btn btn-sm btn-secondary" onClick={() => toggle(a)} data-testid={`agent-toggle-${a.name}`}>
                  {t(a.disabled ? 'agents.enable' : 'agents.disable')}
                </button>
                <button type="button" className="btn btn-sm btn-secondary" onClick={() => showHistory(a.name)} data-testid={`agent-history-${a.name}`}>
                  {t('agents.history')}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {history && (
        <div className="card-inset" data-testid="agent-versions">
          <h3>{t('agents.historyOf', { name: history.name })}</h3>
          <ol className="plain-list">
            {history.versions.map((v) => (
              <li key={v.version}>
                <strong>{t('agents.version', { n: v.version })}</strong>{' '}
                <span className="muted small">
                  {new Date(v.created_at).toLocaleString()} · {v.author} · {t(`agents.position.${v.definition.position}`)}
                </span>
                <p className="small" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{v.definition.prompt.slice(0, 300)}</p>
              </li>
            ))}
          </ol>
        </div>
      )}
      {isAdmin && !form && (
        <button type="button" className="btn btn-secondary" onClick={() => open(null)} data-testid="agent-new">
          {t('agents.new')}
        </button>
      )}
      {isAdmin && form && (
        <div className="card-inset" data-testid="agent-form">
          <h3>{editing ? t('agents.editing', { name: editing }) : t('agents.new')}</h3>
          <Field label={t('agents.name')} htmlFor="agent-name" error={fieldErr('name')} hint={t('agents.nameHint')}>
            <input id="agent-name" value={form.name} disabled={!!editing} onChange={(e) => set({ name: e.target.value })} />
          </Field>
          <Field label={t('agents.description')} htmlFor="agent-description" error={fieldErr('description')}>
            <input id="agent-description" value={form.description} onChange={(e) => set({ description: e.target.value })} />
          </Field>
          <Field label={t('agents.prompt')} htmlFor="agent-prompt" error={fieldErr('prompt')} hint={t('agents.promptHint')}>
            <textarea id="agent-prompt" rows={6} value={form.prompt} onChange={(e) => set({ prompt: e.target.value })} />
          </Field>
          <Field label={t('agents.positionLabel')} htmlFor="agent-position" error={fieldErr('position')}>
            <select id="agent-position" value={form.position} onChange={(e) => set({ position: e.target.value as AgentForm['position'] })}>
              {AGENT_POSITIONS.map((p) => (
                <option key={p} value={p}>
                  {t(`agents.position.${p}`)}
                </option>
              ))}
            </select>
          </Field>
          <fieldset>
            <legend>{t('agents.sources')}</legend>
            {AGENT_SOURCES.map((s) => (
              <label key={s} className="check">
                <input
                  type="checkbox"
                  checked={form.sources.includes(s)}
                  onChange={(e) => set({ sources: e.target.checked ? [...form.sources, s] : form.sources.filter((x) => x !== s) })}
                />{' '}
                {t(`agents.source.${s}`)}
              </label>
            ))}
            <p className="muted small">{t('agents.sourcesHint')}</p>
            {fieldErr('sources') && <div className="field-error" role="alert">{fieldErr('sources')}</div>}
          </fieldset>
          <Field label={t('agents.tools')} htmlFor="agent-tools" error={fieldErr('tools')} hint={t('agents.toolsHint')}>
            <textarea id="agent-tools" rows={2} value={form.tools} onChange={(e) => set({ tools: e.target.value })} />
          </Field>
          {bad && !['name', 'description', 'prompt', 'position', 'sources', 'tools'].includes(bad.field) && (
            <div className="alert alert-error small" role="alert">{bad.message}</div>
          )}
          <div className="form-actions">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={save} data-testid="agent-save">
              {busy ? t('common.saving') : t('common.save')}
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setForm(null)}>
              {t('common.cancel')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
