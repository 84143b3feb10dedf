/*
 * The Writing workspace (docs/writing.md): writing sessions, each a Markdown
 * draft saved as versions (autosave), a live preview (citations in the
 * chosen style, KaTeX math), an assistant that answers from the library
 * (the chat engine, streamed on the session's chat channel) and whose
 * passages the user inserts or whose revisions the user accepts, and the
 * references panel. On a phone the assistant and the references fold under
 * the editor.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, downloadFile, normChatMessage, type ChatMessage } from '../lib/api';
import type * as C from '../lib/contract';
import { useGroups } from '../lib/groups';
import { GroupSelect } from '../components/GroupSelect';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { useChannel } from '../lib/live';
import { renderMarkdown } from '../lib/markdown';
import { answerToDraft, diffLines, diffWords, insertAt, renderDraft, type DiffOp } from '../lib/writing';
import { ErrorBox, Spinner } from '../components/ui';

export const STYLES = ['apa', 'mla', 'chicago', 'ieee'] as const;
const FIELDS = ['title', 'authors', 'year', 'venue', 'volume', 'issue', 'pages', 'publisher', 'doi', 'url'] as const;
const SAVE_DELAY_MS = 1200;

export interface WritingRef {
  n: number;
  formatted: string;
  label: string;
  [k: string]: unknown;
}
interface SessionInfo {
  id: string;
  title: string;
  style: string;
  group_id: string | null;
  web: boolean;
  version: number;
  content: string;
  chat_id: string;
  channel: string;
  last_seq: number;
  mission_id: string | null;
  references: WritingRef[];
  stats: { model_calls?: number; tokens?: number; cost_usd?: number; searches?: number };
}

export function WritingPage() {
  const { id } = useParams();
  const { t, fmtDate } = useI18n();
  const { canWrite } = useAuth();
  const nav = useNavigate();
  const [sessions, setSessions] = useState<C.SessionSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .get<C.SessionList>('/api/writing/sessions')
      .then((r) => setSessions(r.sessions))
      .catch((e) => {
        setError(e);
        setSessions([]);
      });
  }, []);
  useEffect(load, [load]);
  useEffect(() => {
    document.title = `${t('writing.title')} · Maestro`;
  }, [t]);

  const create = async () => {
    setError(null);
    try {
      const r = await api.post<C.Session>('/api/writing/sessions', { title: t('writing.untitled') });
      load();
      nav(`/writing/${r.id}`);
    } catch (e) {
      setError(e);
    }
  };
  const remove = async (sid: string) => {
    try {
      await api.del(`/api/writing/sessions/${sid}`);
      setConfirmDelete(null);
      load();
      if (sid === id) nav('/writing');
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="page writing-page">
      <aside className="writing-list card" aria-label={t('writing.sessions')}>
        <h1 className="h2">{t('writing.title')}</h1>
        {canWrite && (
          <button type="button" className="btn btn-primary" onClick={create} data-testid="writing-new">
            + {t('writing.new')}
          </button>
        )}
        <ErrorBox error={error} onClose={() => setError(null)} />
        {sessions === null ? (
          <Spinner />
        ) : sessions.length === 0 ? (
          <p className="muted small">{t('writing.none')}</p>
        ) : (
          <ul className="chat-items">
            {sessions.map((s) => (
              <li key={s.id} className="writing-item">
                <Link to={`/writing/${s.id}`} className={`chat-item${s.id === id ? ' active' : ''}`} aria-current={s.id === id ? 'page' : undefined}>
                  <span className="chat-item-title">{s.title}</span>
                  <span className="muted small">{fmtDate(s.updated_at)} · v{s.version}</span>
                </Link>
                {canWrite &&
                  (confirmDelete === s.id ? (
                    <span className="confirm small" role="alertdialog" aria-label={t('writing.deleteConfirm')}>
                      {t('writing.deleteConfirm')}{' '}
                      <button type="button" className="btn btn-danger btn-sm" onClick={() => remove(s.id)} data-testid="writing-delete-yes">
                        {t('writing.delete')}
                      </button>{' '}
                      <button type="button" className="btn btn-secondary btn-sm" onClick={() => setConfirmDelete(null)}>
                        {t('writing.cancel')}
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="btn-link small" onClick={() => setConfirmDelete(s.id)} aria-label={`${t('writing.delete')} ${s.title}`}>
                      {t('writing.delete')}
                    </button>
                  ))}
              </li>
            ))}
          </ul>
        )}
      </aside>
      <section className="writing-main">
        {id ? (
          <WritingSession key={id} sessionId={id} onChanged={load} />
        ) : (
          <div className="empty card">
            <p>{t('writing.pick')}</p>
          </div>
        )}
      </section>
    </div>
  );
}

function normSession(r: C.Session): SessionInfo {
  const { id, title, style, group_id, web, version, content, chat_id, channel, last_seq, mission_id, references, stats } = r;
  return { id, title, style, group_id, web, version, content, chat_id, channel, last_seq, mission_id, references, stats };
}

type SaveState = 'saved' | 'unsaved' | 'saving' | 'conflict';

export function DiffView({ ops, testid }: { ops: DiffOp[]; testid?: string }) {
  return (
    <pre className="diff" data-testid={testid}>
      {ops.map((o, i) =>
        o.op === 'same' ? (
          <span key={i}>{o.text}</span>
        ) : o.op === 'add' ? (
          <ins key={i}>{o.text}</ins>
        ) : (
          <del key={i}>{o.text}</del>
        ),
      )}
    </pre>
  );
}

function WritingSession({ sessionId, onChanged }: { sessionId: string; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const { canWrite } = useAuth();
  const [s, setS] = useState<SessionInfo | null>(null);
  const [draft, setDraft] = useState('');
  const [version, setVersion] = useState(0);
  const [save, setSave] = useState<SaveState>('saved');
  const [preview, setPreview] = useState('');
  const { groups } = useGroups();
  const [error, setError] = useState<unknown>(null);
  const [showVersions, setShowVersions] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);
  const draftRef = useRef('');
  const versionRef = useRef(0);
  draftRef.current = draft;
  versionRef.current = version;

  const reload = useCallback(async () => {
    const r = await api.get<C.Session>(`/api/writing/sessions/${sessionId}`);
    const n = normSession(r);
    setS(n);
    return n;
  }, [sessionId]);

  useEffect(() => {
    reload()
      .then((n) => {
        setDraft(n.content);
        setVersion(n.version);
        setSave('saved');
      })
      .catch(setError);
  }, [reload]);

  // autosave: every pause in typing saves a version (based on the one shown)
  const saveNow = useCallback(async () => {
    setSave('saving');
    try {
      const r = await api.put<C.DraftSaved>(`/api/writing/sessions/${sessionId}/draft`, { content: draftRef.current, base_version: versionRef.current });
      setVersion(r.version);
      setSave('saved');
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setSave('conflict');
      else {
        setSave('unsaved');
        setError(e);
      }
    }
  }, [sessionId, onChanged]);
  useEffect(() => {
    if (save !== 'unsaved') return;
    const h = setTimeout(() => void saveNow(), SAVE_DELAY_MS);
    return () => clearTimeout(h);
  }, [draft, save, saveNow]);

  // the preview: the server renders citations and the reference list in the style
  const refsKey = s ? s.references.map((r) => `${r.n}:${r.formatted}`).join('|') + s.style : '';
  useEffect(() => {
    if (!s) return;
    const h = setTimeout(() => {
      api
        .post<C.Rendered>(`/api/writing/sessions/${sessionId}/render?lang=${lang}`, { content: draft, style: s.style })
        .then((r) => setPreview(r.markdown))
        .catch(() => setPreview(draft));
    }, 300);
    return () => clearTimeout(h);
  }, [draft, refsKey, sessionId, lang]); // eslint-disable-line react-hooks/exhaustive-deps
  const previewHtml = useMemo(() => renderDraft(preview), [preview]);

  const edit = (text: string) => {
    setDraft(text);
    if (save !== 'conflict') setSave('unsaved');
  };

  const patch = async (fields: Record<string, unknown>) => {
    try {
      const r = await api.patch<C.Session>(`/api/writing/sessions/${sessionId}`, fields);
      setS((cur) => (cur ? { ...normSession(r), content: cur.content } : cur));
      onChanged();
    } catch (e) {
      setError(e);
    }
  };

  const download = async (path: string, name: string) => {
    setError(null);
    try {
      await downloadFile(path, name);
    } catch (e) {
      setError(e);
    }
  };

  if (!s) return error ? <ErrorBox error={error} /> : <Spinner />;
  const slug = s.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || 'draft';

  return (
    <div className="writing-session">
      <div className="toolbar writing-toolbar">
        <input
          className="writing-title"
          defaultValue={s.title}
          key={s.title}
          aria-label={t('writing.sessionTitle')}
          readOnly={!canWrite}
          onBlur={(e) => {
            const v = e.target.value.trim();
            if (v && v !== s.title) void patch({ title: v });
          }}
          data-testid="writing-title"
        />
        <label className="inline-field">
          <span>{t('writing.style')}</span>
          <select value={s.style} onChange={(e) => void patch({ style: e.target.value })} data-testid="writing-style" disabled={!canWrite}>
            {STYLES.map((st) => (
              <option key={st} value={st}>
                {t(`writing.style.${st}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>{t('chat.scope')}</span>
          <GroupSelect groups={groups} value={s.group_id ?? ''} onChange={(g) => void patch({ group_id: g || null })} emptyLabel={t('new.allDocs')} disabled={!canWrite} data-testid="writing-group" />
        </label>
        <label className="inline-field">
          <input type="checkbox" checked={s.web} onChange={(e) => void patch({ web: e.target.checked })} disabled={!canWrite} data-testid="writing-web" />
          <span>{t('writing.web')}</span>
        </label>
        <span className={`save-state save-${save}`} role="status" data-testid="save-state">
          {t(`writing.save.${save}`)} · v{version}
        </span>
        <span className="spacer" />
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setShowVersions((v) => !v)} aria-expanded={showVersions} data-testid="versions-toggle">
          {t('writing.versions')}
        </button>
        <div className="downloads" role="group" aria-label={t('report.download')}>
          {['md', 'html', 'pdf', 'docx'].map((f) => (
            <button key={f} type="button" className="btn btn-secondary btn-sm" onClick={() => download(`/api/writing/sessions/${sessionId}/export?format=${f}&style=${s.style}&lang=${lang}`, `${slug}.${f}`)} data-testid={`export-${f}`}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      {save === 'conflict' && (
        <div className="alert alert-warning" role="alert">
          {t('writing.conflict')}{' '}
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            onClick={() =>
              reload().then((n) => {
                setDraft(n.content);
                setVersion(n.version);
                setSave('saved');
              })
            }
          >
            {t('writing.reload')}
          </button>
        </div>
      )}
      <ErrorBox error={error} onClose={() => setError(null)} />
      {showVersions && <VersionsPanel sessionId={sessionId} current={version} />}
      <div className="writing-grid">
        <div className="writing-editor card">
          <textarea
            ref={editor}
            value={draft}
            onChange={(e) => edit(e.target.value)}
            readOnly={!canWrite}
            spellCheck
            aria-label={t('writing.editor')}
            data-testid="draft-editor"
          />
        </div>
        <article className="writing-preview markdown card" aria-label={t('writing.preview')} data-testid="draft-preview" dangerouslySetInnerHTML={{ __html: previewHtml }} />
        <div className="writing-side">
          {canWrite && (
            <AssistantPanel
              session={s}
              editor={editor}
              draft={draft}
              setDraft={(d) => edit(d)}
              onRefs={async () => {
                await reload();
              }}
            />
          )}
          <ReferencesPanel session={s} onChange={() => void reload()} canWrite={canWrite} />
          <dl className="writing-stats small" data-testid="writing-stats">
            <div>
              <dt>{t('writing.stats.calls')}</dt>
              <dd>{s.stats.model_calls ?? 0}</dd>
            </div>
            <div>
              <dt>{t('writing.stats.tokens')}</dt>
              <dd>{s.stats.tokens ?? 0}</dd>
            </div>
            <div>
              <dt>{t('writing.stats.cost')}</dt>
              <dd>${(s.stats.cost_usd ?? 0).toFixed(4)}</dd>
            </div>
            <div>
              <dt>{t('writing.stats.searches')}</dt>
              <dd>{s.stats.searches ?? 0}</dd>
            </div>
          </dl>
        </div>
      </div>
    </div>
  );
}

function VersionsPanel({ sessionId, current }: { sessionId: string; current: number }) {
  const { t, fmtDate } = useI18n();
  const [versions, setVersions] = useState<C.VersionList['versions']>([]);
  const [from, setFrom] = useState(0);
  const [to, setTo] = useState(0);
  const [ops, setOps] = useState<DiffOp[] | null>(null);
  useEffect(() => {
    api.get<C.VersionList>(`/api/writing/sessions/${sessionId}/versions`).then((r) => {
      const v = r.versions;
      setVersions(v);
      setTo(v[0]?.version ?? 0);
      setFrom(v[1]?.version ?? v[0]?.version ?? 0);
    });
  }, [sessionId, current]);
  useEffect(() => {
    if (!from || !to) return;
    Promise.all([api.get<C.Version>(`/api/writing/sessions/${sessionId}/versions/${from}`), api.get<C.Version>(`/api/writing/sessions/${sessionId}/versions/${to}`)])
      .then(([a, b]) => setOps(diffLines(a.content, b.content)))
      .catch(() => setOps(null));
  }, [sessionId, from, to]);
  const pick = (value: number, set: (n: number) => void, label: string) => (
    <label className="inline-field">
      <span>{label}</span>
      <select value={value} onChange={(e) => set(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version} · {t(`writing.author.${v.author}`)} · {fmtDate(v.created_at)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section className="card versions-panel" aria-label={t('writing.versions')} data-testid="versions-panel">
      <div className="toolbar">
        {pick(from, setFrom, t('writing.diffFrom'))}
        {pick(to, setTo, t('writing.diffTo'))}
      </div>
      {ops && <DiffView ops={ops} testid="versions-diff" />}
    </section>
  );
}

interface Suggestion {
  msg: ChatMessage;
  mode: string;
  selection?: { start: number; end: number; text: string };
}

function AssistantPanel({ session, editor, draft, setDraft, onRefs }: { session: SessionInfo; editor: React.RefObject<HTMLTextAreaElement>; draft: string; setDraft: (d: string) => void; onRefs: () => Promise<void> }) {
  const { t } = useI18n();
  const [messages, setMessages] = useState<Suggestion[]>([]);
  const [input, setInput] = useState('');
  const [mode, setMode] = useState('ask');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [after, setAfter] = useState<number | null>(null);
  const [decided, setDecided] = useState<Record<string, string>>({});
  const pending = useRef<string | null>(null);

  useEffect(() => {
    api
      .get<C.MessageList>(`/api/writing/sessions/${session.id}/assistant`)
      .then((r) => setMessages(r.messages.map((m) => ({ msg: normChatMessage(m), mode: 'ask' }))))
      .catch(() => {})
      .finally(() => setAfter(session.last_seq));
  }, [session.id]); // eslint-disable-line react-hooks/exhaustive-deps

  // the answer being streamed is found by its id: several events can arrive
  // before React runs the state updates they queue
  const update = (id: string, f: (m: Suggestion) => Suggestion | null) =>
    setMessages((ms) => ms.flatMap((m) => (m.msg.id === id ? [f(m)].filter((x): x is Suggestion => x !== null) : [m])));
  useChannel(after === null ? null : session.channel, after, (ev) => {
    const id = pending.current;
    if (!id) return;
    if (ev.event === 'token') {
      const piece = (ev.data as C.ChatEventData<'token'>).text;
      update(id, (m) => ({ ...m, msg: { ...m.msg, content: m.msg.content + piece } }));
    } else if (ev.event === 'reset') {
      update(id, (m) => ({ ...m, msg: { ...m.msg, content: '' } }));
    } else if (ev.event === 'web') {
      const web = ev.data as C.ChatEventData<'web'>;
      update(id, (m) => ({ ...m, msg: { ...m.msg, web } }));
    } else if (ev.event === 'error') {
      setError(new Error((ev.data as C.ChatEventData<'error'>).message));
      update(id, () => null);
      pending.current = null;
      setBusy(false);
    } else if (ev.event === 'message' && (ev.data as C.ChatEventData<'message'>).role === 'assistant') {
      const final = normChatMessage(ev.data as C.ChatEventData<'message'>);
      update(id, (m) => ({ ...m, msg: { ...final, id, streaming: false } }));
      pending.current = null;
      setBusy(false);
      void onRefs(); // stats
    }
  });

  const ask = async (e: FormEvent) => {
    e.preventDefault();
    const content = input.trim();
    if (!content || busy) return;
    const ta = editor.current;
    const selection = ta && ta.selectionEnd > ta.selectionStart ? { start: ta.selectionStart, end: ta.selectionEnd, text: draft.slice(ta.selectionStart, ta.selectionEnd) } : undefined;
    if (mode === 'revise' && !selection) {
      setError(new Error(t('writing.selectFirst')));
      return;
    }
    setError(null);
    setBusy(true);
    const now = new Date().toISOString();
    const q: Suggestion = { msg: { id: `u-${now}`, role: 'user', content, citations: [], created_at: now }, mode };
    const a: Suggestion = { msg: { id: `a-${now}`, role: 'assistant', content: '', citations: [], created_at: now, streaming: true }, mode, selection };
    pending.current = a.msg.id;
    setMessages((ms) => [...ms, q, a]);
    setInput('');
    try {
      await api.post(`/api/writing/sessions/${session.id}/assistant`, { content, mode, ...(mode === 'revise' && selection ? { selection: selection.text } : {}) });
    } catch (err) {
      setError(err);
      setMessages((ms) => ms.filter((m) => m.msg.id !== a.msg.id));
      pending.current = null;
      setBusy(false);
      setInput(content);
    }
  };

  /* the answer's sources become the draft's references; [k] -> [@N] */
  const asDraftText = async (m: ChatMessage) => {
    const map = new Map<number, number>();
    for (const c of m.citations) {
      const body = c.url && !c.document_id
        ? { type: 'web', title: c.title || c.url, url: c.url, accessed: new Date().toISOString().slice(0, 10) }
        : { document_id: c.document_id, ...(Number(c.page) > 0 ? { page: Number(c.page) } : {}) };
      const r = await api.post<C.ReferenceAdded>(`/api/writing/sessions/${session.id}/references`, body);
      map.set(c.n, r.n);
    }
    await onRefs();
    return answerToDraft(m.content, map);
  };

  const insert = async (sg: Suggestion) => {
    try {
      const text = await asDraftText(sg.msg);
      const pos = editor.current ? editor.current.selectionStart : draft.length;
      const r = insertAt(draft, pos, text);
      setDraft(r.draft);
      setDecided((d) => ({ ...d, [sg.msg.id]: 'inserted' }));
    } catch (e) {
      setError(e);
    }
  };
  const accept = async (sg: Suggestion) => {
    if (!sg.selection) return;
    try {
      const text = await asDraftText(sg.msg);
      const { start, end, text: old } = sg.selection;
      // the selection may have moved since: find it again
      const at = draft.slice(start, end) === old ? start : draft.indexOf(old);
      if (at < 0) {
        setError(new Error(t('writing.selectionGone')));
        return;
      }
      setDraft(draft.slice(0, at) + text + draft.slice(at + old.length));
      setDecided((d) => ({ ...d, [sg.msg.id]: 'accepted' }));
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="card assistant-panel" aria-label={t('writing.assistant')} data-testid="assistant-panel">
      <h2 className="h3">{t('writing.assistant')}</h2>
      <div className="messages" aria-live="polite">
        {messages.length === 0 && <p className="muted small">{t('writing.assistantHint')}</p>}
        {messages.map((sg) => (
          <div key={sg.msg.id} className={`msg msg-${sg.msg.role}`}>
            {sg.msg.role === 'user' ? (
              <div className="msg-content">{sg.msg.content}</div>
            ) : (
              <>
                {sg.mode === 'revise' && sg.selection && !sg.msg.streaming ? (
                  <DiffView ops={diffWords(sg.selection.text, sg.msg.content)} testid="revision-diff" />
                ) : (
                  <div className="markdown msg-content" dangerouslySetInnerHTML={{ __html: sg.msg.content ? renderMarkdown(sg.msg.content, { known: new Set(sg.msg.citations.map((c) => c.n)) }) : '…' }} />
                )}
                {sg.msg.citations.length > 0 && (
                  <ol className="msg-cites small">
                    {sg.msg.citations.map((c) => (
                      <li key={c.n} data-testid={c.url && !c.document_id ? 'assistant-web-cite' : 'assistant-cite'}>
                        [{c.n}]{' '}
                        {c.url && !c.document_id ? (
                          <>
                            <span className="badge">{t('writing.webSource')}</span>{' '}
                            <a href={c.url} target="_blank" rel="noopener noreferrer">
                              {c.title || c.url}
                            </a>
                          </>
                        ) : (
                          <>
                            {c.title || c.filename}
                            {c.page ? ` · p. ${c.page}` : ''}
                          </>
                        )}
                      </li>
                    ))}
                  </ol>
                )}
                {sg.msg.web && (
                  <p className={sg.msg.web.status === 'ok' ? 'small muted' : 'alert alert-warn small'} role="status" title={sg.msg.web.message} data-testid="assistant-web-status">
                    {t(`writing.web.${['ok', 'no_results', 'no_provider', 'failed'].includes(sg.msg.web.status) ? sg.msg.web.status : 'failed'}`, { n: sg.msg.web.sources })}
                  </p>
                )}
                {!sg.msg.streaming && sg.msg.content && (
                  <div className="row-actions">
                    {decided[sg.msg.id] ? (
                      <span className="muted small">{t(`writing.${decided[sg.msg.id]}`)}</span>
                    ) : sg.mode === 'revise' && sg.selection ? (
                      <>
                        <button type="button" className="btn btn-primary btn-sm" onClick={() => accept(sg)} data-testid="revision-accept">
                          {t('writing.accept')}
                        </button>
                        <button type="button" className="btn btn-secondary btn-sm" onClick={() => setDecided((d) => ({ ...d, [sg.msg.id]: 'rejected' }))} data-testid="revision-reject">
                          {t('writing.reject')}
                        </button>
                      </>
                    ) : (
                      <button type="button" className="btn btn-secondary btn-sm" onClick={() => insert(sg)} data-testid="assistant-insert">
                        {t('writing.insert')}
                      </button>
                    )}
                  </div>
                )}
              </>
            )}
          </div>
        ))}
      </div>
      <ErrorBox error={error} onClose={() => setError(null)} />
      <form className="assistant-input" onSubmit={ask}>
        <select value={mode} onChange={(e) => setMode(e.target.value)} aria-label={t('writing.mode')} data-testid="assistant-mode">
          {['ask', 'draft', 'revise'].map((m) => (
            <option key={m} value={m}>
              {t(`writing.mode.${m}`)}
            </option>
          ))}
        </select>
        <textarea rows={2} value={input} onChange={(e) => setInput(e.target.value)} placeholder={t(`writing.placeholder.${mode}`)} aria-label={t('writing.assistantInput')} data-testid="assistant-input" />
        <button type="submit" className="btn btn-primary" disabled={busy || !input.trim()} data-testid="assistant-send">
          {t('chat.send')}
        </button>
      </form>
    </section>
  );
}

function ReferencesPanel({ session, onChange, canWrite }: { session: SessionInfo; onChange: () => void; canWrite: boolean }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [form, setForm] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);

  const open = (r: WritingRef | null) => {
    setError(null);
    setEditing(r ? r.n : 'new');
    const f: Record<string, string> = {};
    for (const k of FIELDS) {
      const v = r?.[k];
      f[k] = Array.isArray(v) ? v.join('; ') : v == null ? '' : String(v);
    }
    f.type = typeof r?.type === 'string' ? r.type : '';
    setForm(f);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(form)) {
      if (!v.trim()) continue;
      body[k] = k === 'authors' ? v.split(';').map((a) => a.trim()).filter(Boolean) : v.trim();
    }
    const old = editing !== 'new' ? session.references.find((r) => r.n === editing) : null;
    if (old?.document_id) body.document_id = old.document_id;
    if (old?.page) body.page = old.page;
    if (old?.accessed && !body.accessed) body.accessed = old.accessed;
    try {
      if (editing === 'new') await api.post(`/api/writing/sessions/${session.id}/references`, body);
      else await api.put(`/api/writing/sessions/${session.id}/references/${editing}`, body);
      setEditing(null);
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (n: number) => {
    try {
      await api.del(`/api/writing/sessions/${session.id}/references/${n}`);
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  const exportRefs = async (fmt: string) => {
    try {
      await downloadFile(`/api/writing/sessions/${session.id}/references/export?format=${fmt}`, `references.${fmt === 'bibtex' ? 'bib' : 'ris'}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card references-panel" aria-label={t('writing.references')} data-testid="references-panel">
      <div className="toolbar">
        <h2 className="h3">{t('writing.references')}</h2>
        <span className="spacer" />
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => exportRefs('bibtex')} data-testid="refs-bibtex">
          BibTeX
        </button>
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => exportRefs('ris')} data-testid="refs-ris">
          RIS
        </button>
      </div>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {session.references.length === 0 && <p className="muted small">{t('writing.noRefs')}</p>}
      <ol className="ref-list">
        {session.references.map((r) => (
          <li key={r.n} data-testid="reference">
            <span className="muted small">[@{r.n}] {r.label}</span>
            <div className="ref-formatted" dangerouslySetInnerHTML={{ __html: renderMarkdown(r.formatted, { citations: false }) }} />
            {canWrite && (
              <span className="row-actions">
                <button type="button" className="btn-link small" onClick={() => open(r)} data-testid="reference-edit">
                  {t('writing.edit')}
                </button>
                <button type="button" className="btn-link small" onClick={() => remove(r.n)}>
                  {t('writing.remove')}
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
      {canWrite && editing === null && (
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => open(null)} data-testid="reference-add">
          + {t('writing.addRef')}
        </button>
      )}
      {editing !== null && (
        <form className="ref-form" onSubmit={submit} data-testid="reference-form">
          <label>
            <span>{t('writing.ref.type')}</span>
            <select value={form.type ?? ''} onChange={(e) => setForm({ ...form, type: e.target.value })}>
              <option value="">{t('writing.ref.typeAuto')}</option>
              {['article', 'book', 'web', 'document'].map((k) => (
                <option key={k} value={k}>
                  {t(`writing.ref.type.${k}`)}
                </option>
              ))}
            </select>
          </label>
          {FIELDS.map((k) => (
            <label key={k}>
              <span>{t(`writing.ref.${k}`)}</span>
              <input value={form[k] ?? ''} onChange={(e) => setForm({ ...form, [k]: e.target.value })} data-testid={`ref-${k}`} />
            </label>
          ))}
          <div className="row-actions">
            <button type="submit" className="btn btn-primary btn-sm" data-testid="reference-save">
              {t('writing.save')}
            </button>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setEditing(null)}>
              {t('writing.cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
