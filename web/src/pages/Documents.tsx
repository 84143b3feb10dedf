import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { api, ApiError, normDoc, normGroup, normPassage, qs, uploadFile, type Doc, type Group, type Passage } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { useChannel } from '../lib/live';
import { ErrorBox, Field, Modal, ProgressBar, Spinner, StatusBadge, errorText, fmtBytes } from '../components/ui';

interface UploadItem {
  key: string;
  name: string;
  size: number;
  progress: number;
  state: 'waiting' | 'uploading' | 'done' | 'error';
  error: string;
  note?: string;
}

const ACCEPT = '.pdf,.docx,.txt,.md,.markdown,.html,.htm';
const PARALLEL = 3;
const PAGE = 200;

/* Order of the ingestion lifecycle, to tell a newer status from an older one. */
function statusRank(s: string): number {
  return s === 'ready' || s === 'failed' ? 2 : s === 'processing' ? 1 : 0;
}

export function DocumentsPage() {
  const { t, fmtDate } = useI18n();
  const { canWrite } = useAuth();
  const [docs, setDocs] = useState<Doc[] | null>(null);
  const [groups, setGroups] = useState<Group[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const [groupFilter, setGroupFilter] = useState('');
  const [text, setText] = useState('');
  const [author, setAuthor] = useState('');
  const [venue, setVenue] = useState('');
  const [yearFrom, setYearFrom] = useState('');
  const [yearTo, setYearTo] = useState('');
  const [sort, setSort] = useState('added');
  const [allMatching, setAllMatching] = useState(false);
  const [bulkNote, setBulkNote] = useState('');
  const [lastQuery, setLastQuery] = useState('');
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [uploadGroup, setUploadGroup] = useState('');
  const [dragging, setDragging] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [viewing, setViewing] = useState<Doc | null>(null);
  const [editing, setEditing] = useState<Doc | null>(null);
  const [groupsOpen, setGroupsOpen] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const [total, setTotal] = useState<number | null>(null);
  /* the filters as the server reads them (GET /api/documents and the "filter" of a bulk action) */
  const filter = useMemo(() => {
    const f: Record<string, string> = {};
    const put = (k: string, v: string) => {
      if (v.trim()) f[k] = v.trim();
    };
    put('group_id', groupFilter);
    put('status', status);
    put('type', type);
    put('q', text);
    put('author', author);
    put('venue', venue);
    if (/^\d{4}$/.test(yearFrom.trim())) put('year_from', yearFrom);
    if (/^\d{4}$/.test(yearTo.trim())) put('year_to', yearTo);
    return f;
  }, [groupFilter, status, type, text, author, venue, yearFrom, yearTo]);
  const fetchPage = useCallback(
    (offset: number) => api.get<C.DocumentList>(`/api/documents${qs({ ...filter, sort, limit: PAGE, offset })}`),
    [filter, sort],
  );
  // The newest status each document reached according to the live channel.
  // A list fetched before an event but answered after it would otherwise put
  // an older status ("queued") back over a newer one ("ready").
  const liveStatus = useRef(new Map<string, string>());
  const reload = useCallback(async () => {
    try {
      const r = await fetchPage(0);
      const list = r.documents
        .map(normDoc)
        .map((d) => {
          const live = liveStatus.current.get(d.id);
          return live && statusRank(live) > statusRank(d.status) ? { ...d, status: live } : d;
        });
      setDocs(list);
      setTotal(r.total);
      setError(null);
    } catch (e) {
      setError(e);
      setDocs((d) => d ?? []);
    }
  }, [fetchPage]);
  const loadMore = async () => {
    try {
      const r = await fetchPage(docs?.length ?? 0);
      const more = r.documents.map(normDoc);
      setDocs((cur) => {
        const have = new Set((cur ?? []).map((d) => d.id));
        return [...(cur ?? []), ...more.filter((d) => !have.has(d.id))];
      });
      setTotal(r.total);
    } catch (e) {
      setError(e);
    }
  };
  const reloadGroups = useCallback(() => {
    api
      .get<C.GroupList>('/api/groups')
      .then((r) => setGroups(r.groups.map(normGroup)))
      .catch(() => {});
  }, []);

  const typing = !!(text || author || venue || yearFrom || yearTo);
  useEffect(() => {
    const h = setTimeout(() => void reload(), typing ? 250 : 0);
    return () => clearTimeout(h);
  }, [reload, typing]);
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [filter]);
  useEffect(reloadGroups, [reloadGroups]);

  // Ingestion progress arrives on the `documents` channel. The subscription
  // replays the channel's history first; only a recent event about a document
  // we do not list yet (uploaded elsewhere, e.g. by the CLI) reloads the list,
  // once, debounced.
  const mountedAt = useRef(Date.now());
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (reloadTimer.current) clearTimeout(reloadTimer.current);
  }, []);
  useChannel('documents', 0, (ev) => {
    if (ev.event !== 'document') return;
    const d = ev.data as C.DocumentEventData<'document'>;
    const id = d.id;
    liveStatus.current.set(id, d.status);
    const ts = Number(ev.ts);
    const recent = !Number.isFinite(ts) || ts >= mountedAt.current - 5000;
    setDocs((list) => {
      if (!list) return list;
      const i = list.findIndex((x) => x.id === id);
      if (d.status === 'deleted') return i < 0 ? list : list.filter((x) => x.id !== id);
      if (i < 0) {
        if (recent && !reloadTimer.current)
          reloadTimer.current = setTimeout(() => {
            reloadTimer.current = null;
            void reload();
          }, 300);
        return list;
      }
      const cur = list[i];
      const merged = normDoc({ ...cur.raw, ...d, status: d.status as C.DocStatus, filename: d.filename ?? cur.filename, error: d.error ?? cur.raw.error });
      const copy = list.slice();
      copy[i] = merged;
      return copy;
    });
  });

  const startUploads = (files: File[]) => {
    if (!files.length) return;
    const items: UploadItem[] = files.map((f, i) => ({ key: `${Date.now()}-${i}-${f.name}`, name: f.name, size: f.size, progress: 0, state: 'waiting', error: '' }));
    setUploads((u) => [...items, ...u.filter((x) => x.state === 'uploading' || x.state === 'waiting' || x.state === 'error')]);
    const queue = files.map((f, i) => ({ f, key: items[i].key }));
    const patch = (key: string, p: Partial<UploadItem>) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, ...p } : x)));
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const { f, key } = job;
        patch(key, { state: 'uploading' });
        try {
          const added = await uploadFile(f, uploadGroup || null, (p) => patch(key, { progress: p })).promise;
          // the server may accept the request but refuse the file itself
          const refused = added.find((a) => a.status === 'failed' || !a.id);
          if (refused) patch(key, { state: 'error', error: refused.error || t('upload.error') });
          else patch(key, { state: 'done', progress: 1, note: added.some((a) => a.raw?.duplicate) ? t('upload.duplicate') : '' });
          setDocs((list) => {
            const cur = list ?? [];
            const fresh = added.filter((a) => a.id && !cur.some((c) => c.id === a.id));
            return [...fresh, ...cur];
          });
        } catch (e) {
          patch(key, { state: 'error', error: errorText(e, t) });
        }
      }
    };
    void Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker)).then(() => reload());
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!canWrite) return;
    startUploads(Array.from(e.dataTransfer.files || []));
  };

  const shown = docs ?? [];
  const types = ['pdf', 'docx', 'html', 'md', 'txt'];
  const groupName = (id: string) => groups.find((g) => g.id === id)?.name ?? id;

  const toggleSel = (id: string) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };
  const allSelected = shown.length > 0 && shown.every((d) => selected.has(d.id));

  const del = async (d: Doc) => {
    if (!window.confirm(t('docs.confirmDelete', { name: d.title || d.filename }))) return;
    try {
      await api.del(`/api/documents/${d.id}`);
      setDocs((l) => (l ?? []).filter((x) => x.id !== d.id));
    } catch (e) {
      setError(e);
    }
  };
  const reprocess = async (d: Doc) => {
    try {
      await api.post(`/api/documents/${d.id}/reprocess`);
      liveStatus.current.set(d.id, 'queued');
      setDocs((l) => (l ?? []).map((x) => (x.id === d.id ? { ...x, status: 'queued', error: '' } : x)));
    } catch (e) {
      setError(e);
    }
  };
  /* one action on the selection, or on every document matching the filters */
  const bulk = async (action: string, gid = '') => {
    const n = allMatching ? total ?? shown.length : selected.size;
    if (n === 0) return;
    if (action === 'delete' && !window.confirm(t('docs.confirmBulkDelete', { n }))) return;
    try {
      const body: Record<string, unknown> = { action, ...(allMatching ? { filter } : { document_ids: [...selected] }) };
      if (gid) body.group_id = gid;
      const r = await api.post<C.BulkReply>('/api/documents/bulk', body);
      setBulkNote(t('docs.bulkDone', { done: r.done, n: r.matched }));
      setSelected(new Set());
      setAllMatching(false);
      reloadGroups();
      void reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('docs.title')}</h1>
        <button type="button" className="btn btn-secondary" onClick={() => setGroupsOpen(true)} data-testid="groups-open">
          {t('docs.manageGroups')} ({groups.length})
        </button>
      </div>

      <SearchBox groups={groups} onSearched={setLastQuery} onOpen={(id) => setViewing(shown.find((d) => d.id === id) ?? normDoc({ id, filename: id, status: 'ready' }))} />

      {canWrite && (
        <section
          className={`dropzone card${dragging ? ' dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          aria-label={t('docs.upload')}
          data-testid="dropzone"
        >
          <p className="dz-title">{t('docs.dropHere')}</p>
          <p className="muted small">{t('docs.formats')}</p>
          <div className="dz-actions">
            <button type="button" className="btn btn-primary" onClick={() => fileInput.current?.click()}>
              {t('docs.chooseFiles')}
            </button>
            <label className="inline-field">
              <span>{t('docs.intoGroup')}</span>
              <select value={uploadGroup} onChange={(e) => setUploadGroup(e.target.value)}>
                <option value="">{t('docs.noGroup')}</option>
                {groups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <input
            ref={fileInput}
            type="file"
            multiple
            accept={ACCEPT}
            hidden
            data-testid="file-input"
            onChange={(e) => {
              startUploads(Array.from(e.target.files || []));
              e.target.value = '';
            }}
          />
          {uploads.length > 0 && (
            <ul className="upload-list" aria-live="polite">
              {uploads.map((u) => (
                <li key={u.key} className={`upload upload-${u.state}`}>
                  <span className="upload-name">{u.name}</span>
                  <span className="muted small">{fmtBytes(u.size)}</span>
                  <ProgressBar value={u.progress} label={u.name} />
                  <span className="small">{u.state === 'error' ? u.error : u.note || t(`upload.${u.state}`)}</span>
                </li>
              ))}
              <li>
                <button type="button" className="btn-link small" onClick={() => setUploads((l) => l.filter((x) => x.state === 'uploading' || x.state === 'waiting'))}>
                  {t('docs.clearFinished')}
                </button>
              </li>
            </ul>
          )}
        </section>
      )}

      <section className="card">
        <div className="toolbar filters">
          <input type="search" placeholder={t('docs.filterText')} aria-label={t('docs.filterText')} value={text} onChange={(e) => setText(e.target.value)} />
          <label className="inline-field">
            <span>{t('docs.status')}</span>
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="docs-status-filter">
              <option value="">{t('common.all')}</option>
              {['queued', 'processing', 'ready', 'failed'].map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>{t('docs.type')}</span>
            <select value={type} onChange={(e) => setType(e.target.value)} data-testid="docs-type-filter">
              <option value="">{t('common.all')}</option>
              {types.map((x) => (
                <option key={x} value={x}>
                  {x.toUpperCase()}
                </option>
              ))}
            </select>
          </label>
          <input type="search" placeholder={t('docs.filterAuthor')} aria-label={t('docs.filterAuthor')} value={author} onChange={(e) => setAuthor(e.target.value)} data-testid="docs-author-filter" />
          <input type="search" placeholder={t('docs.filterVenue')} aria-label={t('docs.filterVenue')} value={venue} onChange={(e) => setVenue(e.target.value)} />
          <label className="inline-field">
            <span>{t('docs.years')}</span>
            <input className="year-input" inputMode="numeric" placeholder="1990" aria-label={t('docs.yearFrom')} value={yearFrom} onChange={(e) => setYearFrom(e.target.value)} data-testid="docs-year-from" />
            <span>–</span>
            <input className="year-input" inputMode="numeric" placeholder="2025" aria-label={t('docs.yearTo')} value={yearTo} onChange={(e) => setYearTo(e.target.value)} data-testid="docs-year-to" />
          </label>
          <label className="inline-field">
            <span>{t('docs.sort')}</span>
            <select value={sort} onChange={(e) => setSort(e.target.value)} data-testid="docs-sort">
              <option value="added">{t('docs.sortAdded')}</option>
              <option value="title">{t('docs.sortTitle')}</option>
              <option value="year">{t('docs.sortYear')}</option>
            </select>
          </label>
          <label className="inline-field">
            <span>{t('docs.group')}</span>
            <select value={groupFilter} onChange={(e) => setGroupFilter(e.target.value)}>
              <option value="">{t('common.all')}</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        {selected.size > 0 && canWrite && (
          <BulkBar
            count={allMatching ? total ?? shown.length : selected.size}
            canAll={allSelected && (total ?? 0) > shown.length}
            allMatching={allMatching}
            total={total ?? shown.length}
            onAll={setAllMatching}
            groups={groups}
            onAction={bulk}
            onClear={() => {
              setSelected(new Set());
              setAllMatching(false);
            }}
          />
        )}
        {bulkNote && (
          <p className="muted small" role="status" data-testid="bulk-note">
            {bulkNote}
          </p>
        )}
        <ErrorBox error={error} onClose={() => setError(null)} />
        {docs === null ? (
          <Spinner />
        ) : shown.length === 0 ? (
          <div className="empty" data-testid="docs-empty">
            <p>{docs.length === 0 && Object.keys(filter).length === 0 ? t('docs.empty') : t('docs.noMatch')}</p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="table docs-table">
              <thead>
                <tr>
                  {canWrite && (
                    <th className="col-check">
                      <input type="checkbox" aria-label={t('docs.selectAll')} checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(shown.map((d) => d.id)))} />
                    </th>
                  )}
                  <th>{t('docs.name')}</th>
                  <th>{t('docs.status')}</th>
                  <th>{t('docs.type')}</th>
                  <th>{t('docs.groups')}</th>
                  <th>{t('docs.added')}</th>
                  <th className="col-actions">{t('common.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((d) => (
                  <tr key={d.id} data-testid="doc-row" data-status={d.status}>
                    {canWrite && (
                      <td className="col-check">
                        <input type="checkbox" aria-label={t('docs.select', { name: d.filename })} checked={selected.has(d.id)} onChange={() => toggleSel(d.id)} />
                      </td>
                    )}
                    <td>
                      <div className="doc-name">{d.title || d.filename}</div>
                      {d.title && d.title !== d.filename && <div className="muted small">{d.filename}</div>}
                      {(d.authors || d.year || d.venue) && (
                        <div className="muted small">{[d.authors, d.venue, d.year].filter(Boolean).join(', ')}</div>
                      )}
                      {d.doi && (
                        <div className="muted small">
                          <a href={`https://doi.org/${encodeURI(d.doi)}`} target="_blank" rel="noreferrer noopener">
                            doi:{d.doi}
                          </a>
                        </div>
                      )}
                    </td>
                    <td>
                      <StatusBadge status={d.status} />
                      {(d.status === 'processing' || d.status === 'queued') && d.progress !== undefined && d.progress > 0 && (
                        <div className="doc-progress">
                          <ProgressBar value={d.progress} label={d.filename} />
                          {d.stage && <span className="muted small">{t(`stage.${d.stage}`)}</span>}
                        </div>
                      )}
                      {d.error && <div className="field-error small">{d.error}</div>}
                    </td>
                    <td>{d.type.toUpperCase()}</td>
                    <td className="small">{d.group_ids.map(groupName).join(', ') || '—'}</td>
                    <td className="nowrap small">{fmtDate(d.created_at)}</td>
                    <td className="col-actions">
                      <button type="button" className="btn btn-ghost btn-sm" onClick={() => setViewing(d)} disabled={d.status !== 'ready'}>
                        {t('docs.view')}
                      </button>
                      {canWrite && (
                        <>
                          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setEditing(d)}>
                            {t('common.edit')}
                          </button>
                          {d.status === 'failed' && (
                            <button type="button" className="btn btn-ghost btn-sm" onClick={() => reprocess(d)}>
                              {t('docs.reprocess')}
                            </button>
                          )}
                          <button type="button" className="btn btn-ghost btn-sm danger" onClick={() => del(d)}>
                            {t('common.delete')}
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {docs && (total === null || total > docs.length) && docs.length >= PAGE && (
          <div className="load-more">
            <button type="button" className="btn btn-secondary" onClick={loadMore}>
              {t('common.loadMore')}
            </button>
            {total !== null && <span className="muted small">{t('common.shownOf', { n: docs.length, total })}</span>}
          </div>
        )}
      </section>
      {viewing && <DocTextModal doc={viewing} query={lastQuery} onClose={() => setViewing(null)} />}
      {editing && (
        <DocEditModal
          doc={editing}
          onClose={() => setEditing(null)}
          onSaved={(d) => {
            setDocs((l) => (l ?? []).map((x) => (x.id === d.id ? d : x)));
            setEditing(null);
          }}
        />
      )}
      {groupsOpen && (
        <GroupsModal
          groups={groups}
          onClose={() => setGroupsOpen(false)}
          onChanged={() => {
            reloadGroups();
            void reload();
          }}
        />
      )}
    </div>
  );
}

function BulkBar({
  count,
  canAll,
  allMatching,
  total,
  onAll,
  groups,
  onAction,
  onClear,
}: {
  count: number;
  canAll: boolean;
  allMatching: boolean;
  total: number;
  onAll: (on: boolean) => void;
  groups: Group[];
  onAction: (action: string, gid?: string) => void;
  onClear: () => void;
}) {
  const { t } = useI18n();
  const [gid, setGid] = useState('');
  return (
    <div className="bulk-bar" role="region" aria-label={t('docs.bulk')} data-testid="bulk-bar">
      <span>{t('docs.selectedN', { n: count })}</span>
      {(canAll || allMatching) && (
        <button type="button" className="btn-link small" onClick={() => onAll(!allMatching)} data-testid="bulk-all">
          {allMatching ? t('docs.onlyPage') : t('docs.allMatching', { n: total })}
        </button>
      )}
      <select value={gid} onChange={(e) => setGid(e.target.value)} aria-label={t('docs.group')}>
        <option value="">{t('docs.pickGroup')}</option>
        {groups.map((g) => (
          <option key={g.id} value={g.id}>
            {g.name}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-secondary btn-sm" disabled={!gid} onClick={() => onAction('add_to_group', gid)}>
        {t('docs.addToGroup')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" disabled={!gid} onClick={() => onAction('remove_from_group', gid)}>
        {t('docs.removeFromGroup')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => onAction('reprocess')} data-testid="bulk-reprocess">
        {t('docs.bulkReprocess')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => onAction('reembed')}>
        {t('docs.reembed')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => onAction('cancel')}>
        {t('docs.cancelQueued')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm danger" onClick={() => onAction('delete')} data-testid="bulk-delete">
        {t('common.delete')}
      </button>
      <button type="button" className="btn-link small" onClick={onClear}>
        {t('common.clear')}
      </button>
    </div>
  );
}

function SearchBox({ groups, onSearched, onOpen }: { groups: Group[]; onSearched: (q: string) => void; onOpen: (docId: string) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [k, setK] = useState(5);
  const [gid, setGid] = useState('');
  const [mode, setMode] = useState('hybrid');
  const [results, setResults] = useState<Passage[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { query: q.trim(), k, mode };
      if (gid) body.group_id = gid;
      const r = await api.post<C.SearchReply>('/api/search', body);
      setResults(r.results.map(normPassage));
      onSearched(q.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card search-card" aria-label={t('search.title')}>
      <form className="search-form" onSubmit={submit} role="search">
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('search.placeholder')} aria-label={t('search.title')} data-testid="search-input" />
        <select value={gid} onChange={(e) => setGid(e.target.value)} aria-label={t('docs.group')}>
          <option value="">{t('new.allDocs')}</option>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
        <select value={mode} onChange={(e) => setMode(e.target.value)} aria-label={t('search.mode')}>
          <option value="hybrid">{t('search.hybrid')}</option>
          <option value="lexical">{t('search.lexical')}</option>
          <option value="vector">{t('search.vector')}</option>
        </select>
        <select value={k} onChange={(e) => setK(Number(e.target.value))} aria-label={t('search.k')}>
          {[5, 10, 20].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <button type="submit" className="btn btn-primary" disabled={busy || !q.trim()}>
          {t('common.search')}
        </button>
      </form>
      <ErrorBox error={error} />
      {results && (
        <div className="search-results" data-testid="search-results">
          {results.length === 0 ? (
            <p className="muted">{t('search.none')}</p>
          ) : (
            <ol>
              {results.map((r, i) => (
                <li key={`${r.chunk_id}-${i}`} className="passage">
                  <div className="passage-head">
                    <button type="button" className="btn-link" onClick={() => onOpen(r.document_id)} title={t('docs.view')}>
                      <strong>{r.title || r.filename || r.document_id}</strong>
                    </button>
                    {r.page && <span className="muted small"> · p. {r.page}</span>}
                    <span className="score" title={t('search.score')}>
                      {r.score.toFixed(3)}
                    </span>
                  </div>
                  <p className="passage-text">{r.text}</p>
                </li>
              ))}
            </ol>
          )}
          <button type="button" className="btn-link small" onClick={() => setResults(null)}>
            {t('common.clear')}
          </button>
        </div>
      )}
    </section>
  );
}

/** Text split into pieces, the words of query marked (case-insensitive; words of 2+ characters). */
export function highlight(text: string, query: string): { text: string; hit: boolean }[] {
  const words = query
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}_-]/gu, ''))
    .filter((w) => w.length >= 2);
  if (!words.length) return [{ text, hit: false }];
  const re = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|')})`, 'giu');
  return text
    .split(re)
    .filter((p) => p !== '')
    .map((p) => ({ text: p, hit: words.some((w) => w.toLowerCase() === p.toLowerCase()) }));
}

interface Section {
  page: number;
  heading: string;
  char_start: number;
}

/** The reader: the extracted text by page and heading, with the words of a search marked. */
function DocTextModal({ doc, query, onClose }: { doc: Doc; query: string; onClose: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState<string | null>(null);
  const [sections, setSections] = useState<Section[]>([]);
  const [find, setFind] = useState(query);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api
      .get<C.DocumentText>(`/api/documents/${doc.id}/text`)
      .then((r) => {
        setText(r.text);
        setSections(r.sections);
      })
      .catch(setError);
  }, [doc.id]);
  /* offsets are in code points: split on them with Array.from */
  const parts = useMemo(() => {
    if (text === null) return [];
    const cps = Array.from(text);
    const starts = sections.length ? sections : [{ page: 0, heading: '', char_start: 0 }];
    return starts.map((s, i) => ({
      ...s,
      body: cps.slice(i === 0 ? 0 : s.char_start, i + 1 < starts.length ? starts[i + 1].char_start : cps.length).join(''),
    }));
  }, [text, sections]);
  const hits = useMemo(() => parts.reduce((n, p) => n + highlight(p.body, find).filter((x) => x.hit).length, 0), [parts, find]);
  return (
    <Modal title={doc.title || doc.filename} onClose={onClose} wide>
      <ErrorBox error={error} />
      <div className="toolbar">
        <input type="search" value={find} onChange={(e) => setFind(e.target.value)} placeholder={t('docs.findInText')} aria-label={t('docs.findInText')} data-testid="reader-find" />
        {find.trim() && <span className="muted small" data-testid="reader-hits">{t('docs.hitsN', { n: hits })}</span>}
      </div>
      {text === null && !error ? (
        <Spinner />
      ) : (
        <div className="doc-text reader" tabIndex={0} data-testid="reader">
          {parts.map((p, i) => (
            <section key={i}>
              {(p.page > 0 || p.heading) && (i === 0 || p.page !== parts[i - 1].page || p.heading !== parts[i - 1].heading) && (
                <h3 className="reader-head small muted">{[p.page > 0 ? `${t('cite.page')} ${p.page}` : '', p.heading].filter(Boolean).join(' · ')}</h3>
              )}
              <pre className="doc-text">
                {highlight(p.body, find).map((x, k) => (x.hit ? <mark key={k}>{x.text}</mark> : <span key={k}>{x.text}</span>))}
              </pre>
            </section>
          ))}
        </div>
      )}
    </Modal>
  );
}

/** Splits a list typed by the user ("A; B", one per line, or "a, b" for keywords). */
export function splitList(s: string, commas: boolean): string[] {
  return s
    .split(commas ? /[;,\n]/ : /[;\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

const META_FIELDS = ['title', 'authors', 'year', 'venue', 'doi', 'arxiv_id', 'abstract', 'keywords', 'language'] as const;
type MetaField = (typeof META_FIELDS)[number];

/** The bibliographic record of a document: every field editable; PATCH validates and names a bad field. */
export function DocEditModal({ doc, onClose, onSaved }: { doc: Doc; onClose: () => void; onSaved: (d: Doc) => void }) {
  const { t } = useI18n();
  const [initial] = useState<Record<MetaField, string>>(() => ({
    title: doc.title || '',
    authors: doc.author_list.length ? doc.author_list.join('; ') : doc.authors,
    year: doc.year,
    venue: doc.venue,
    doi: doc.doi,
    arxiv_id: doc.arxiv_id,
    abstract: doc.abstract,
    keywords: doc.keywords.join('; '),
    language: doc.language,
  }));
  const [v, setV] = useState<Record<MetaField, string>>(initial);
  const [error, setError] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Partial<Record<MetaField, string>>>({});
  const [busy, setBusy] = useState(false);
  const set = (f: MetaField) => (e: { target: { value: string } }) => setV((o) => ({ ...o, [f]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const year = v.year.trim();
    if (year && !/^\d{4}$/.test(year)) {
      setFieldErr({ year: 'v.year' });
      return;
    }
    if (!v.title.trim()) {
      setFieldErr({ title: 'docs.titleRequired' });
      return;
    }
    setFieldErr({});
    setError(null);
    setBusy(true);
    try {
      /* only what changed: a field sent becomes the user's and is kept when the document is processed again */
      const value: Record<MetaField, unknown> = {
        title: v.title.trim(),
        authors: splitList(v.authors, false),
        year: year ? Number(year) : null,
        venue: v.venue.trim(),
        doi: v.doi.trim(),
        arxiv_id: v.arxiv_id.trim(),
        abstract: v.abstract.trim(),
        keywords: splitList(v.keywords, true),
        language: v.language.trim(),
      };
      const body: Record<string, unknown> = {};
      for (const f of META_FIELDS) if (v[f].trim() !== initial[f].trim()) body[f] = value[f];
      if (Object.keys(body).length === 0) {
        onClose();
        return;
      }
      onSaved(normDoc(await api.patch<C.Document>(`/api/documents/${doc.id}`, body)));
    } catch (err) {
      const field = (err instanceof ApiError ? err.body?.error?.field : undefined) as MetaField | undefined;
      if (err instanceof ApiError && field && (META_FIELDS as readonly string[]).includes(field)) setFieldErr({ [field]: err.message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  /* "from the first page", "from the PDF's XMP" ... for fields the user has not edited */
  const hint = (f: MetaField, base?: string) => {
    const src = doc.meta_sources[f];
    const from = src && src !== 'user' ? t('docs.fromSource', { src: t(`docs.src.${src}`) === `docs.src.${src}` ? src : t(`docs.src.${src}`) }) : '';
    return [base, from].filter(Boolean).join(' · ') || undefined;
  };
  const input = (f: MetaField, label: string, extra: Record<string, unknown> = {}, base?: string) => (
    <Field label={label} htmlFor={`d-${f}`} error={fieldErr[f]} hint={hint(f, base)}>
      <input id={`d-${f}`} value={v[f]} onChange={set(f)} aria-invalid={!!fieldErr[f]} {...extra} />
    </Field>
  );
  return (
    <Modal title={t('docs.editMeta')} onClose={onClose} wide>
      <form onSubmit={submit} className="form" noValidate>
        {input('title', t('docs.metaTitle'))}
        {input('authors', t('docs.authors'), {}, t('docs.authorsHint'))}
        <div className="grid-2">
          {input('year', t('docs.year'), { inputMode: 'numeric' })}
          {input('language', t('docs.language'), { placeholder: 'en' })}
        </div>
        {input('venue', t('docs.venue'))}
        <div className="grid-2">
          {input('doi', t('docs.doi'), { placeholder: '10.1234/abc' })}
          {input('arxiv_id', t('docs.arxiv'), { placeholder: '2101.00001' })}
        </div>
        {input('keywords', t('docs.keywords'), {}, t('docs.keywordsHint'))}
        <Field label={t('docs.abstract')} htmlFor="d-abstract" error={fieldErr.abstract} hint={hint('abstract')}>
          <textarea id="d-abstract" rows={5} value={v.abstract} onChange={set('abstract')} />
        </Field>
        <ErrorBox error={error} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function GroupsModal({ groups, onClose, onChanged }: { groups: Group[]; onClose: () => void; onChanged: () => void }) {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<string>('');
  const [newName, setNewName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal title={t('docs.groupsTitle')} onClose={onClose}>
      {canWrite && (
        <form
          className="row-input"
          onSubmit={(e) => {
            e.preventDefault();
            if (!name.trim()) return;
            void run(() => api.post('/api/groups', { name: name.trim() })).then(() => setName(''));
          }}
        >
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={t('docs.newGroup')} aria-label={t('docs.newGroup')} data-testid="group-name" />
          <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
            {t('common.create')}
          </button>
        </form>
      )}
      <ErrorBox error={error} />
      {groups.length === 0 ? (
        <p className="muted">{t('docs.noGroupsYet')}</p>
      ) : (
        <ul className="group-list">
          {groups.map((g) => (
            <li key={g.id}>
              {renaming === g.id ? (
                <form
                  className="row-input"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (!newName.trim()) return;
                    void run(() => api.patch(`/api/groups/${g.id}`, { name: newName.trim() })).then(() => setRenaming(''));
                  }}
                >
                  <input value={newName} onChange={(e) => setNewName(e.target.value)} aria-label={t('docs.rename')} autoFocus />
                  <button type="submit" className="btn btn-primary btn-sm">
                    {t('common.save')}
                  </button>
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => setRenaming('')}>
                    {t('common.cancel')}
                  </button>
                </form>
              ) : (
                <div className="group-row">
                  <span className="group-name">{g.name}</span>
                  <span className="muted small">{t('docs.nDocs', { n: g.document_count })}</span>
                  {canWrite && (
                    <>
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        onClick={() => {
                          setRenaming(g.id);
                          setNewName(g.name);
                        }}
                      >
                        {t('docs.rename')}
                      </button>
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm danger"
                        onClick={() => window.confirm(t('docs.confirmDeleteGroup', { name: g.name })) && void run(() => api.del(`/api/groups/${g.id}`))}
                      >
                        {t('common.delete')}
                      </button>
                    </>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">{t('docs.groupsHint')}</p>
    </Modal>
  );
}
