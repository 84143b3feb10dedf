/* The research chat (issue 13 §1): "New mission" as a conversation. The
 * user says what they need; the planner answers with a mission card that
 * the chat or a direct edit refines; "Start research" creates the mission.
 * Turns are answered on the draft's channel (draft:ID); once started, the
 * conversation continues as a chat with documents (chat:ID). */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../lib/api';
import type * as C from '../lib/contract';
import { useGroups } from '../lib/groups';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { useChannel } from '../lib/live';
import type { LiveEvent } from '../lib/ws';
import { usePageTitle } from '../lib/title';
import { renderMarkdown } from '../lib/markdown';
import { ErrorBox, Spinner } from '../components/ui';
import { ProposalCard, normProposal, type Proposal } from '../components/ProposalCard';

interface DraftMessage {
  id: string;
  role: 'user' | 'assistant' | 'edit';
  content: string;
  mode?: string;
}

/** A turn of the draft (draft:ID), or after the start a message of its chat (chat:ID). */
function normMessage(m: C.DraftMessage | C.ChatMessage): DraftMessage {
  const mode = 'meta' in m ? m.meta.mode : m.mode;
  return { id: String(m.id), role: m.role === 'system' ? 'assistant' : m.role, content: m.content, mode: typeof mode === 'string' ? mode : undefined };
}

interface Draft {
  id: string;
  title: string;
  proposal: Proposal;
  mission_id: string | null;
  chat_id: string | null;
  answering: boolean;
  messages: DraftMessage[];
  last_seq: number;
  chat_last_seq: number;
}

function normDraft(r: C.Draft): Draft {
  return {
    id: r.id,
    title: r.title,
    proposal: normProposal(r.proposal),
    mission_id: r.mission_id,
    chat_id: r.chat_id,
    answering: r.answering,
    messages: r.messages.map(normMessage),
    last_seq: r.last_seq ?? 0,
    chat_last_seq: r.chat_last_seq ?? 0,
  };
}

export function ResearchChatPage() {
  const { id } = useParams();
  return id ? <DraftView key={id} id={id} /> : <StartView />;
}

function StartView() {
  const { t, fmtDate } = useI18n();
  const { canWrite } = useAuth();
  const nav = useNavigate();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [drafts, setDrafts] = useState<{ id: string; title: string; updated_at: string; mission_id: string | null }[]>([]);
  useEffect(() => {
    api
      .get<C.DraftList>('/api/missions/drafts?limit=10')
      .then((r) => setDrafts(r.drafts))
      .catch(() => {});
  }, []);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    const content = text.trim();
    if (!content || busy) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<C.Draft>('/api/missions/drafts', { content });
      nav(`/missions/drafts/${r.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div className="page research-chat">
      <div className="page-head">
        <h1>{t('rc.title')}</h1>
        <Link to="/missions/new/advanced" className="btn btn-ghost" data-testid="advanced-form" title={t('rc.advancedHint')}>
          {t('rc.advanced')}
        </Link>
      </div>
      <p className="muted">{t('rc.intro')}</p>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {canWrite && (
        <form className="chat-input rc-start" onSubmit={send}>
          <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} placeholder={t('rc.placeholder')} aria-label={t('rc.placeholder')} data-testid="rc-input" />
          <button type="submit" className="btn btn-primary" disabled={busy || !text.trim()} data-testid="rc-send">
            {busy ? t('common.saving') : t('rc.send')}
          </button>
        </form>
      )}
      {busy && <p className="muted">{t('rc.thinking')}</p>}
      {drafts.length > 0 && (
        <section className="card rc-drafts">
          <h2 className="h3">{t('rc.drafts')}</h2>
          <ul>
            {drafts.map((d) => (
              <li key={d.id}>
                <Link to={`/missions/drafts/${d.id}`}>{d.title}</Link> <span className="muted small">{fmtDate(d.updated_at)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function DraftView({ id }: { id: string }) {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const nav = useNavigate();
  const [draft, setDraft] = useState<Draft | null>(null);
  const { groups } = useGroups();
  const [input, setInput] = useState('');
  const [waiting, setWaiting] = useState(false);
  const [streamed, setStreamed] = useState(''); // the answer as the model writes it
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const endRef = useRef<HTMLDivElement>(null);
  usePageTitle(draft ? t('title.draft', { title: draft.title }) : t('title.newMission'));

  const load = useCallback(() => {
    api
      .get<C.Draft>(`/api/missions/drafts/${id}`)
      .then((r) => {
        const d = normDraft(r);
        setDraft(d);
        setWaiting(d.answering);
      })
      .catch(setError);
  }, [id]);
  useEffect(load, [load]);
  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [draft?.messages.length, waiting]);

  const onEvent = (ev: LiveEvent) => {
    if (ev.event === 'token') {
      const piece = (ev.data as C.DraftEventData<'token'>).text;
      setStreamed((x) => x + piece);
      return;
    }
    if (ev.event === 'reset') {
      setStreamed('');
      return;
    }
    if (ev.event === 'error') {
      setError(new Error((ev.data as C.DraftEventData<'error'>).message));
      setWaiting(false);
      setStreamed('');
      return;
    }
    if (ev.event !== 'message') return;
    const data = ev.data as C.DraftEventData<'message'> | C.ChatEventData<'message'>;
    const m = normMessage(data);
    setDraft((d) => {
      if (!d || d.messages.some((x) => x.id === m.id)) return d;
      const next = { ...d, messages: [...d.messages.filter((x) => !x.id.startsWith('local-')), m] };
      if ('proposal' in data && data.proposal) {
        next.proposal = normProposal(data.proposal);
        next.title = next.proposal.title;
      }
      return next;
    });
    if (m.role === 'assistant') {
      setWaiting(false);
      setStreamed('');
    }
  };
  useChannel(draft ? `draft:${id}` : null, draft ? draft.last_seq : null, onEvent);
  useChannel(draft?.chat_id ? `chat:${draft.chat_id}` : null, draft?.chat_id ? draft.chat_last_seq : null, onEvent);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const content = input.trim();
    if (!content || waiting || !draft) return;
    setInput('');
    setError(null);
    setWaiting(true);
    setDraft({ ...draft, messages: [...draft.messages, { id: `local-${Date.now()}`, role: 'user', content }] });
    try {
      await api.post(`/api/missions/drafts/${id}/messages`, { content });
    } catch (err) {
      setError(err);
      setWaiting(false);
      setInput(content);
      setDraft((d) => (d ? { ...d, messages: d.messages.filter((x) => !x.id.startsWith('local-')) } : d));
    }
  };

  const saveCard = async (card: Omit<Proposal, 'origin' | 'matched_documents'>) => {
    const r = await api.put<C.Draft>(`/api/missions/drafts/${id}`, card);
    const d = normDraft(r);
    setDraft((old) => (old ? { ...d, last_seq: old.last_seq, chat_last_seq: old.chat_last_seq } : d));
  };

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const r = await api.post<C.DraftStarted>(`/api/missions/drafts/${id}/start`, {});
      nav(`/missions/${r.mission_id}`);
    } catch (err) {
      setError(err);
      setStarting(false);
    }
  };

  if (!draft) return <div className="page">{error ? <ErrorBox error={error} /> : <Spinner />}</div>;
  const started = !!draft.mission_id;
  return (
    <div className="page research-chat">
      <div className="page-head">
        <h1>{draft.title}</h1>
        {!started && (
          <Link to="/missions/new/advanced" className="btn btn-ghost" data-testid="advanced-form">
            {t('rc.advanced')}
          </Link>
        )}
      </div>
      {started && (
        <div className="alert alert-success" role="status" data-testid="rc-started">
          {t('rc.started')} <Link to={`/missions/${draft.mission_id}`}>{t('rc.openMission')}</Link>
        </div>
      )}
      <ErrorBox error={error} onClose={() => setError(null)} />
      <div className="rc-layout">
        <section className="card rc-conversation" aria-label={t('rc.conversation')}>
          <div className="messages" aria-live="polite" data-testid="rc-messages">
            {draft.messages.map((m) => (
              <div key={m.id} className={`msg msg-${m.role === 'assistant' ? 'assistant' : 'user'}${m.role === 'edit' ? ' msg-edit' : ''}`}>
                <div className="msg-role">{m.role === 'assistant' ? t('rc.planner') : t('rc.you')}</div>
                {m.role === 'assistant' ? (
                  <div className="markdown msg-content" dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content) }} />
                ) : (
                  <div className="msg-content">{m.role === 'edit' ? t('rc.edited') : m.content}</div>
                )}
              </div>
            ))}
            {waiting && streamed && (
              <div className="msg msg-assistant" data-testid="rc-streaming">
                <div className="msg-role">{t('rc.planner')}</div>
                <div className="markdown msg-content" dangerouslySetInnerHTML={{ __html: renderMarkdown(streamed) }} />
              </div>
            )}
            {waiting && !streamed && (
              <div className="msg msg-assistant">
                <span className="typing" aria-label={t('rc.thinking')}>
                  <span />
                  <span />
                  <span />
                </span>
              </div>
            )}
            <div ref={endRef} />
          </div>
          {canWrite && (
            <form className="chat-input" onSubmit={send}>
              <textarea
                rows={2}
                value={input}
                onChange={(e) => setInput(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
                    e.preventDefault();
                    void send(e as unknown as FormEvent);
                  }
                }}
                placeholder={started ? t('rc.askLater') : t('rc.refine')}
                aria-label={started ? t('rc.askLater') : t('rc.refine')}
                data-testid="rc-turn"
              />
              <button type="submit" className="btn btn-primary" disabled={waiting || !input.trim()}>
                {t('rc.send')}
              </button>
            </form>
          )}
        </section>
        <aside className="rc-side">
          <ProposalCard proposal={draft.proposal} groups={groups} readOnly={!canWrite || started || waiting} onSave={saveCard} />
          {canWrite && !started && (
            <button type="button" className="btn btn-primary rc-start-btn" onClick={start} disabled={starting || waiting} data-testid="rc-start">
              {t('rc.start')}
            </button>
          )}
        </aside>
      </div>
    </div>
  );
}
