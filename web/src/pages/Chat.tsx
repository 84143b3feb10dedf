import { useCallback, useEffect, useRef, useState, type FormEvent, type MouseEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { api, normChat, normChatMessage, type Chat, type ChatMessage, type Group, type Passage } from '../lib/api';
import type * as C from '../lib/contract';
import { useGroups } from '../lib/groups';
import { GroupSelect } from '../components/GroupSelect';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { useChannel } from '../lib/live';
import { renderMarkdown } from '../lib/markdown';
import { CitationPanel, type CitationView } from '../components/CitationPanel';
import { ErrorBox, Spinner } from '../components/ui';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { usePageTitle } from '../lib/title';


export function ChatPage() {
  const { id } = useParams();
  const { t, fmtDate } = useI18n();
  const { canWrite } = useAuth();
  const nav = useNavigate();
  const [chats, setChats] = useState<Chat[] | null>(null);
  const { groups } = useGroups();
  const [newGroup, setNewGroup] = useState('');
  const [error, setError] = useState<unknown>(null);

  const loadChats = useCallback(() => {
    api
      .get<C.ChatList>('/api/chats')
      .then((r) => setChats(r.chats.map(normChat)))
      .catch((e) => {
        setError(e);
        setChats([]);
      });
  }, []);
  useEffect(loadChats, [loadChats]);

  // an empty "New chat" is not kept: the chat is created with its first question
  const create = () => {
    setError(null);
    nav('/chat/new', { state: { group: newGroup } });
  };

  return (
    <div className="page chat-page">
      <aside className="chat-list card" aria-label={t('chat.list')}>
        <h1 className="h2">{t('chat.title')}</h1>
        {canWrite && (
          <div className="chat-new">
            <GroupSelect groups={groups} value={newGroup} onChange={setNewGroup} emptyLabel={t('new.allDocs')} aria-label={t('docs.group')} />
            <button type="button" className="btn btn-primary" onClick={create} data-testid="chat-new">
              + {t('chat.new')}
            </button>
          </div>
        )}
        <ErrorBox error={error} />
        {chats === null ? (
          <Spinner />
        ) : chats.length === 0 ? (
          <p className="muted small">{t('chat.none')}</p>
        ) : (
          <ul className="chat-items">
            {chats.map((c) => (
              <li key={c.id}>
                <Link to={`/chat/${c.id}`} className={`chat-item${c.id === id ? ' active' : ''}`} aria-current={c.id === id ? 'page' : undefined}>
                  <span className="chat-item-title">{c.title || t('chat.untitled')}</span>
                  <span className="muted small">{fmtDate(c.created_at)}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </aside>
      <section className="chat-main">
        {id ? (
          <ChatThread key={id} chatId={id} groups={groups} onRenamed={loadChats} listTitle={chats?.find((c) => c.id === id)?.title ?? ''} onDeleted={() => {
            loadChats();
            nav('/chat', { replace: true });
          }} />
        ) : (
          <div className="empty card">
            <p>{t('chat.pick')}</p>
          </div>
        )}
      </section>
    </div>
  );
}

function ChatThread({ chatId, groups, onRenamed, onDeleted, listTitle }: { chatId: string; groups: Group[]; onRenamed: () => void; onDeleted: () => void; listTitle: string }) {
  const { t } = useI18n();
  const isNew = chatId === 'new';
  const loc = useLocation();
  const nav = useNavigate();
  const pendingAsk = useRef<string | null>((loc.state as { ask?: string } | null)?.ask ?? null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { canWrite } = useAuth();
  const [chat, setChat] = useState<Chat | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [cite, setCite] = useState<CitationView | null>(null);
  const [after, setAfter] = useState<number | null>(null);
  const streamingRef = useRef(false);
  const endRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (isNew) {
      setAfter(null);
      return;
    }
    api
      .get<C.ChatWithMessages>(`/api/chats/${chatId}`)
      .then((r) => {
        const c = normChat(r);
        setChat(c);
        setMessages(c.messages);
        setAfter(r.last_seq);
      })
      .catch((e) => {
        setError(e);
        setAfter(0);
      });
  }, [chatId, isNew]);
  usePageTitle(isNew ? t('title.chat') : t('title.chatNamed', { title: listTitle || chat?.title || t('chat.untitled') }));

  useChannel(after === null || isNew ? null : `chat:${chatId}`, after, (ev) => {
    if (!streamingRef.current) return; // replayed tokens of earlier answers
    if (ev.event === 'token') {
      const piece = (ev.data as C.ChatEventData<'token'>).text;
      if (!piece) return;
      setMessages((ms) => {
        const last = ms[ms.length - 1];
        if (last && last.streaming) return [...ms.slice(0, -1), { ...last, content: last.content + piece }];
        return ms;
      });
    } else if (ev.event === 'reset') {
      // the model stream restarted: drop what was shown of this answer
      setMessages((ms) => {
        const last = ms[ms.length - 1];
        return last && last.streaming ? [...ms.slice(0, -1), { ...last, content: '' }] : ms;
      });
    } else if (ev.event === 'error') {
      setError(new Error((ev.data as C.ChatEventData<'error'>).message));
      setMessages((ms) => ms.filter((m) => !(m.streaming && !m.content)));
      streamingRef.current = false;
      setBusy(false);
    } else if (ev.event === 'message' && (ev.data as C.ChatEventData<'message'>).role === 'assistant') {
      const final = normChatMessage(ev.data as C.ChatEventData<'message'>);
      // a handed-off question (202) ends here
      streamingRef.current = false;
      setBusy(false);
      onRenamed();
      setMessages((ms) => {
        const last = ms[ms.length - 1];
        if (last && last.streaming) return [...ms.slice(0, -1), { ...final, content: final.content || last.content, streaming: false }];
        return ms;
      });
    }
  });

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [messages]);

  const send = async (e: FormEvent | null, asked?: string) => {
    e?.preventDefault();
    const content = (asked ?? input).trim();
    if (!content || busy) return;
    if (isNew) {
      // the first question creates the chat; its thread asks it
      setBusy(true);
      try {
        const group = (loc.state as { group?: string } | null)?.group;
        const r = await api.post<C.Chat>('/api/chats', group ? { group_id: group } : {});
        const c = normChat(r);
        onRenamed();
        nav(`/chat/${c.id}`, { replace: true, state: { ask: content } });
      } catch (err) {
        setError(err);
        setBusy(false);
      }
      return;
    }
    setInput('');
    setBusy(true);
    setError(null);
    const now = new Date().toISOString();
    setMessages((ms) => [
      ...ms,
      { id: `local-u-${now}`, role: 'user', content, citations: [], created_at: now },
      { id: `local-a-${now}`, role: 'assistant', content: '', citations: [], created_at: now, streaming: true },
    ]);
    streamingRef.current = true;
    let handedOff = false;
    try {
      // 202: the answer streams in on chat:ID and its final message ends it
      await api.post<C.Answering>(`/api/chats/${chatId}/messages`, { content });
      handedOff = true;
    } catch (err) {
      setError(err);
      setMessages((ms) => ms.filter((m) => m.id !== `local-a-${now}`));
      setInput(content);
    } finally {
      if (!handedOff) {
        streamingRef.current = false;
        setBusy(false);
      }
    }
  };

  // a question handed over by the "new chat" composer
  useEffect(() => {
    if (isNew || after === null || !pendingAsk.current) return;
    const q = pendingAsk.current;
    pendingAsk.current = null;
    nav('.', { replace: true, state: null });
    void send(null, q);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [after, isNew]);

  const rename = async (e: FormEvent) => {
    e.preventDefault();
    const title = (renaming ?? '').trim();
    if (!title) return;
    try {
      const r = await api.patch<C.Chat>(`/api/chats/${chatId}`, { title });
      setChat(normChat(r));
      setRenaming(null);
      onRenamed();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    setConfirmDelete(false);
    try {
      await api.del(`/api/chats/${chatId}`);
      onDeleted();
    } catch (err) {
      setError(err);
    }
  };

  const openCite = (m: ChatMessage) => (e: MouseEvent) => {
    const a = (e.target as HTMLElement).closest('a[data-cite]');
    if (!a) return;
    e.preventDefault();
    const n = Number(a.getAttribute('data-cite'));
    const p: Passage | undefined = m.citations.find((c) => c.n === n) ?? m.citations[n - 1];
    setCite({ n, title: p ? p.title || p.filename : '', text: p?.heading ?? '', quote: p?.text ?? '', url: p?.url ?? '', page: p?.page ?? '', score: p?.score });
  };

  const group = groups.find((g) => g.id === chat?.group_id);

  return (
    <div className={`chat-thread card${cite ? ' with-panel' : ''}`}>
      <div className="chat-head">
        {renaming !== null ? (
          <form className="chat-rename row-input" onSubmit={rename}>
            <input autoFocus value={renaming} onChange={(e) => setRenaming(e.target.value)} aria-label={t('chat.renameLabel')} maxLength={200} data-testid="chat-rename-input" />
            <button type="submit" className="btn btn-primary" disabled={!renaming.trim()}>
              {t('common.save')}
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setRenaming(null)}>
              {t('common.cancel')}
            </button>
          </form>
        ) : (
          <h2>{isNew ? t('chat.new') : listTitle || chat?.title || t('chat.untitled')}</h2>
        )}
        {!isNew && canWrite && renaming === null && (
          <span className="chat-head-actions">
            <button type="button" className="btn btn-ghost small" onClick={() => setRenaming(listTitle || chat?.title || '')} data-testid="chat-rename">
              {t('chat.rename')}
            </button>
            <button type="button" className="btn btn-danger small" onClick={() => setConfirmDelete(true)} data-testid="chat-delete">
              {t('chat.delete')}
            </button>
          </span>
        )}
        <span className="muted small">
          {t('chat.scope')}: {group ? group.name : t('new.allDocs')}
        </span>
      </div>
      <div className="chat-body">
        <div className="messages" aria-live="polite" data-testid="messages">
          {messages.length === 0 && <p className="muted">{isNew ? t('chat.newHint') : t('chat.emptyThread')}</p>}
          {messages.map((m) => (
            <div key={m.id} className={`msg msg-${m.role}`}>
              <div className="msg-role">{m.role === 'user' ? t('chat.you') : 'Maestro'}</div>
              {m.role === 'assistant' ? (
                <div className="markdown msg-content" onClick={openCite(m)}>
                  {m.content ? (
                    <div dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content, { known: m.citations.length ? new Set(m.citations.map((c, i) => c.n || i + 1)) : undefined }) }} />
                  ) : (
                    <span className="typing" aria-label={t('chat.thinking')}>
                      <span />
                      <span />
                      <span />
                    </span>
                  )}
                  {m.streaming && m.content && <span className="cursor" aria-hidden="true" />}
                </div>
              ) : (
                <div className="msg-content">{m.content}</div>
              )}
              {m.citations.length > 0 && (
                <ol className="msg-cites">
                  {m.citations.map((c, i) => (
                    <li key={i}>
                      <button type="button" className="btn-link small" onClick={() => setCite({ n: c.n || i + 1, title: c.title || c.filename, text: c.heading, quote: c.text, url: c.url, page: c.page, score: c.score })}>
                        [{c.n || i + 1}] {c.title || c.filename || c.document_id}
                        {c.page ? ` · p. ${c.page}` : ''}
                      </button>
                    </li>
                  ))}
                </ol>
              )}
            </div>
          ))}
          <div ref={endRef} />
        </div>
        <CitationPanel cite={cite} onClose={() => setCite(null)} />
      </div>
      <ErrorBox error={error} onClose={() => setError(null)} />
      <ConfirmDialog
        open={confirmDelete}
        danger
        message={t('chat.confirmDelete', { name: listTitle || chat?.title || t('chat.untitled') })}
        confirmLabel={t('common.delete')}
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
      />
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
            placeholder={t('chat.placeholder')}
            aria-label={t('chat.placeholder')}
            data-testid="chat-input"
          />
          <button type="submit" className="btn btn-primary" disabled={busy || !input.trim()}>
            {t('chat.send')}
          </button>
        </form>
      )}
    </div>
  );
}
