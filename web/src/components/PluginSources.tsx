/*
 * What the server's plugins provide (GET /api/plugins, docs/extending.md):
 * the plugin sources a new mission may use (checkboxes inside the form's
 * sources fieldset) and, for the Settings page, every loaded plugin with
 * its sources, tools and routes, plus the refused files (admins only).
 */
import { useEffect, useState } from 'react';
import type * as C from '../lib/contract';
import { api } from '../lib/api';
import { useI18n } from '../lib/i18n';

export interface PluginSource {
  id: string;
  name: string;
  description: string;
}
export interface PluginInfo {
  name: string;
  version: string;
  description: string;
  sources: PluginSource[];
  tools: { name: string; description: string }[];
  routes: { method: string; path: string; role: string }[];
}
export interface PluginsReply {
  plugins: PluginInfo[];
  refused: { file: string; reason: string }[];
}

/** GET /api/plugins as the page shows it (`refused` is only sent to admins). */
export function normPlugins(r: C.PluginList): PluginsReply {
  return { plugins: r.plugins, refused: r.refused ?? [] };
}

function usePlugins(): PluginsReply | null {
  const [r, setR] = useState<PluginsReply | null>(null);
  useEffect(() => {
    let live = true;
    api
      .get<C.PluginList>('/api/plugins')
      .then((x) => live && setR(normPlugins(x)))
      .catch(() => live && setR({ plugins: [], refused: [] }));
    return () => {
      live = false;
    };
  }, []);
  return r;
}

/** One checkbox per plugin source; renders nothing when there is none. */
export function PluginSourceChoices({ selected, onChange }: { selected: string[]; onChange: (v: string[]) => void }) {
  const { t } = useI18n();
  const r = usePlugins();
  const sources = (r?.plugins ?? []).flatMap((p) => p.sources.map((s) => ({ ...s, plugin: p.name })));
  if (!sources.length) return null;
  const toggle = (id: string, on: boolean) => onChange(on ? [...selected.filter((x) => x !== id), id] : selected.filter((x) => x !== id));
  return (
    <div className="plugin-sources" data-testid="plugin-sources">
      <div className="muted small">{t('new.srcPlugins')}</div>
      {sources.map((s) => (
        <label className="check" key={s.id}>
          <input type="checkbox" checked={selected.includes(s.id)} onChange={(e) => toggle(s.id, e.target.checked)} /> {s.description || s.name}{' '}
          <code className="small">{s.id}</code>
        </label>
      ))}
    </div>
  );
}

/** The Settings page's card: what is loaded and what each plugin provides. */
export function PluginList() {
  const { t } = useI18n();
  const r = usePlugins();
  if (!r) return null;
  return (
    <section className="card" data-testid="plugins-card">
      <h2>{t('plugins.title')}</h2>
      {!r.plugins.length && <p className="muted small">{t('plugins.none')}</p>}
      {r.plugins.map((p) => (
        <div key={p.name} className="plugin-item">
          <h3>
            {p.name} <span className="muted small">{p.version}</span>
          </h3>
          {p.description && <p className="small">{p.description}</p>}
          <ul className="small" style={{ overflowWrap: 'anywhere' }}>
            {p.sources.length > 0 && (
              <li>
                {t('plugins.sources')}: {p.sources.map((s) => s.id).join(', ')}
              </li>
            )}
            {p.tools.length > 0 && (
              <li>
                {t('plugins.tools')}: {p.tools.map((x) => x.name).join(', ')}
              </li>
            )}
            {p.routes.length > 0 && (
              <li>
                {t('plugins.routes')}: {p.routes.map((x) => `${x.method} /api/plugins/${p.name}/${x.path} (${x.role})`).join(', ')}
              </li>
            )}
          </ul>
        </div>
      ))}
      {r.refused.length > 0 && (
        <div className="alert alert-error small" role="status">
          <strong>{t('plugins.refused')}</strong>
          <ul>
            {r.refused.map((x) => (
              <li key={x.file}>
                {x.file}: {x.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
