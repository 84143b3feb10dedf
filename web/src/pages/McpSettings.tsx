/*
 * MCP servers in Settings (docs/mcp.md, "MCP client"): the "mcp" settings
 * section of the scope shown (the user's own, or the server-wide one for an
 * admin), saved on its own (PUT with {mcp} only). A server is a URL with
 * headers (Streamable HTTP) or, in the server scope only, a command with
 * arguments (stdio). Header values are secrets: the server returns them as
 * {api_key: "********"} and keeps the stored value when that comes back.
 * "Check" connects to every server (GET /api/mcp/servers) and lists its
 * tools and resources; a resource can be imported into the library.
 */
import { useEffect, useState } from 'react';
import { api } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { ErrorBox, Field, Notice } from '../components/ui';

const MASK = '********';

export interface McpRow {
  name: string;
  kind: 'http' | 'stdio';
  url: string;
  command: string;
  args: string; // one argument per line
  headers: { name: string; value: string }[];
  timeout_s: string;
}

const secret = (v: string | { api_key: string; api_key_set?: boolean }): string => (typeof v === 'string' ? v : v.api_key);

/** The rows of an "mcp" settings section as GET returns it. */
export function mcpRows(section: C.McpSection): McpRow[] {
  return Object.entries(section.servers ?? {}).map(([name, s]) => ({
    name,
    kind: s.command ? 'stdio' : 'http',
    url: s.url ?? '',
    command: s.command ?? '',
    args: (s.args ?? []).join('\n'),
    headers: Object.entries(s.headers ?? {}).map(([k, v]) => ({ name: k, value: secret(v) })),
    timeout_s: s.timeout_s ? String(s.timeout_s) : '',
  }));
}

/** Rows → the "mcp" section to PUT (a masked header goes back as the mask). */
export function mcpSection(rows: McpRow[]): C.McpSection {
  const servers: Record<string, C.McpServerSetting> = {};
  for (const r of rows) {
    const name = r.name.trim();
    if (!name) continue;
    const s: C.McpServerSetting = {};
    if (r.kind === 'stdio') {
      s.command = r.command.trim();
      const args = r.args.split('\n').map((a) => a.trim()).filter(Boolean);
      if (args.length) s.args = args;
    } else {
      s.url = r.url.trim();
      const h: Record<string, string | { api_key: string }> = {};
      for (const x of r.headers) if (x.name.trim()) h[x.name.trim()] = x.value === MASK ? { api_key: MASK } : x.value;
      if (Object.keys(h).length) s.headers = h;
    }
    if (r.timeout_s.trim()) s.timeout_s = Number(r.timeout_s);
    servers[name] = s;
  }
  return { servers };
}

const emptyRow = (): McpRow => ({ name: '', kind: 'http', url: '', command: '', args: '', headers: [], timeout_s: '' });

export function McpServersEditor({ scope, canWrite }: { scope: 'user' | 'server'; canWrite: boolean }) {
  const { t } = useI18n();
  const path = scope === 'server' ? '/api/admin/settings' : '/api/settings';
  const [rows, setRows] = useState<McpRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [status, setStatus] = useState<C.McpServer[] | null>(null);
  const [imported, setImported] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setSaved(false);
    setStatus(null);
    api
      .get<C.Settings | C.AdminSettings>(path)
      .then((r) => setRows(mcpRows(r.mcp)))
      .catch(setError);
  }, [path]);

  const set = (i: number, r: Partial<McpRow>) => setRows(rows.map((x, k) => (k === i ? { ...x, ...r } : x)));
  const save = async () => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const r = await api.put<C.Settings | C.AdminSettings>(path, { mcp: mcpSection(rows) });
      setRows(mcpRows(r.mcp));
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      setStatus((await api.get<C.McpServers>('/api/mcp/servers')).servers);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const importResource = async (server: string, uri: string) => {
    setError(null);
    setImported(null);
    try {
      const r = await api.post<C.McpImported>(`/api/mcp/servers/${encodeURIComponent(server)}/import`, { uri });
      setImported(r.document.filename);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="card" data-testid="mcp-settings">
      <h2>{t('mcp.title')}</h2>
      <p className="muted small">{t(scope === 'server' ? 'mcp.hintServer' : 'mcp.hintUser')}</p>
      {rows.map((r, i) => (
        <div key={i} className="card-inset" data-testid={`mcp-row-${i}`}>
          <div className="grid-3">
            <Field label={t('mcp.name')} htmlFor={`mcp-name-${i}`}>
              <input id={`mcp-name-${i}`} value={r.name} disabled={!canWrite} onChange={(e) => set(i, { name: e.target.value })} />
            </Field>
            <Field label={t('mcp.transport')} htmlFor={`mcp-kind-${i}`}>
              <select id={`mcp-kind-${i}`} value={r.kind} disabled={!canWrite} onChange={(e) => set(i, { kind: e.target.value as McpRow['kind'] })}>
                <option value="http">{t('mcp.http')}</option>
                {(scope === 'server' || r.kind === 'stdio') && <option value="stdio">{t('mcp.stdio')}</option>}
              </select>
            </Field>
            <Field label={t('mcp.timeout')} htmlFor={`mcp-timeout-${i}`}>
              <input id={`mcp-timeout-${i}`} inputMode="numeric" value={r.timeout_s} placeholder="30" disabled={!canWrite} onChange={(e) => set(i, { timeout_s: e.target.value })} />
            </Field>
          </div>
          {r.kind === 'http' ? (
            <>
              <Field label={t('mcp.url')} htmlFor={`mcp-url-${i}`}>
                <input id={`mcp-url-${i}`} type="url" value={r.url} placeholder="https://…/mcp" disabled={!canWrite} onChange={(e) => set(i, { url: e.target.value })} />
              </Field>
              {r.headers.map((h, k) => (
                <div key={k} className="grid-2">
                  <input aria-label={t('mcp.headerName')} value={h.name} placeholder="Authorization" disabled={!canWrite} onChange={(e) => set(i, { headers: r.headers.map((x, j) => (j === k ? { ...x, name: e.target.value } : x)) })} />
                  <input aria-label={t('mcp.headerValue')} type="password" autoComplete="off" value={h.value} disabled={!canWrite} onChange={(e) => set(i, { headers: r.headers.map((x, j) => (j === k ? { ...x, value: e.target.value } : x)) })} />
                </div>
              ))}
              {canWrite && (
                <button type="button" className="btn btn-sm btn-secondary" onClick={() => set(i, { headers: [...r.headers, { name: '', value: '' }] })}>
                  {t('mcp.addHeader')}
                </button>
              )}
            </>
          ) : (
            <div className="grid-2">
              <Field label={t('mcp.command')} htmlFor={`mcp-cmd-${i}`}>
                <input id={`mcp-cmd-${i}`} value={r.command} placeholder="node" disabled={!canWrite} onChange={(e) => set(i, { command: e.target.value })} />
              </Field>
              <Field label={t('mcp.args')} htmlFor={`mcp-args-${i}`}>
                <textarea id={`mcp-args-${i}`} rows={2} value={r.args} disabled={!canWrite} onChange={(e) => set(i, { args: e.target.value })} />
              </Field>
            </div>
          )}
          {canWrite && (
            <button type="button" className="btn btn-sm btn-secondary" onClick={() => setRows(rows.filter((_, k) => k !== i))}>
              {t('mcp.remove')}
            </button>
          )}
        </div>
      ))}
      {!rows.length && <p className="muted small">{t('mcp.none')}</p>}
      <div className="form-actions">
        {canWrite && (
          <>
            <button type="button" className="btn btn-sm btn-secondary" onClick={() => setRows([...rows, emptyRow()])} data-testid="mcp-add">
              {t('mcp.add')}
            </button>
            <button type="button" className="btn btn-sm btn-primary" disabled={busy} onClick={save} data-testid="mcp-save">
              {t('mcp.save')}
            </button>
          </>
        )}
        <button type="button" className="btn btn-sm btn-secondary" disabled={busy} onClick={check} data-testid="mcp-check">
          {t('mcp.check')}
        </button>
      </div>
      {saved && <Notice kind="success">{t('settings.saved')}</Notice>}
      {imported && <Notice kind="success">{t('mcp.imported').replace('{name}', imported)}</Notice>}
      <ErrorBox error={error} onClose={() => setError(null)} />
      {status && (
        <ul className="plain-list" data-testid="mcp-status">
          {!status.length && <li className="muted small">{t('mcp.none')}</li>}
          {status.map((s) => (
            <li key={s.name}>
              <strong>{s.name}</strong> <span className="muted small">({s.scope}, {s.transport})</span>{' '}
              {s.error ? (
                <span className="error-text">{s.error}</span>
              ) : (
                <>
                  <span>{t('mcp.tools').replace('{list}', (s.tools ?? []).map((x) => x.name).join(', ') || '—')}</span>
                  {(s.resources ?? []).map((x) => (
                    <div key={x.uri} className="small">
                      {x.name ?? x.uri}{' '}
                      <button type="button" className="btn btn-sm btn-secondary" onClick={() => importResource(s.name, x.uri)}>
                        {t('mcp.import')}
                      </button>
                    </div>
                  ))}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
