/*
 * The library's list: the filters as the user types them, the page of
 * documents the server answers for them, the next pages on demand, and the
 * ingestion progress the live `documents` channel reports in between.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { api, normDoc, qs, type Doc } from '../../lib/api';
import type * as C from '../../lib/contract';
import { useChannel } from '../../lib/live';

/** Documents asked for at a time. */
export const PAGE = 200;

export const NO_FILTERS = { group: '', status: '', type: '', text: '', author: '', venue: '', yearFrom: '', yearTo: '' };
export type FilterValues = typeof NO_FILTERS;
export type FilterKey = keyof FilterValues;

/** The filters as the server reads them (GET /api/documents and the "filter" of a bulk action): empty ones left out, years only when complete. */
export function serverFilter(v: FilterValues): Record<string, string> {
  const f: Record<string, string> = {};
  const put = (k: string, x: string) => {
    if (x.trim()) f[k] = x.trim();
  };
  put('group_id', v.group);
  put('status', v.status);
  put('type', v.type);
  put('q', v.text);
  put('author', v.author);
  put('venue', v.venue);
  if (/^\d{4}$/.test(v.yearFrom.trim())) put('year_from', v.yearFrom);
  if (/^\d{4}$/.test(v.yearTo.trim())) put('year_to', v.yearTo);
  return f;
}

/** The filter fields and the sort order; `typing` is true while a free-text field is in use (the list then waits for a pause). */
export function useDocumentFilters() {
  const [values, setValues] = useState<FilterValues>(NO_FILTERS);
  const [sort, setSort] = useState('added');
  const set = useCallback((k: FilterKey, x: string) => setValues((o) => (o[k] === x ? o : { ...o, [k]: x })), []);
  const filter = useMemo(() => serverFilter(values), [values]);
  const typing = !!(values.text || values.author || values.venue || values.yearFrom || values.yearTo);
  return { values, set, sort, setSort, filter, typing };
}

/* Order of the ingestion lifecycle, to tell a newer status from an older one. */
function statusRank(s: string): number {
  return s === 'ready' || s === 'failed' ? 2 : s === 'processing' ? 1 : 0;
}

export interface DocumentList {
  /** null until the first answer */
  docs: Doc[] | null;
  setDocs: Dispatch<SetStateAction<Doc[] | null>>;
  /** how many documents match, null when the server does not say and a full page came back */
  total: number | null;
  /** whether a "Load more" can bring more */
  hasMore: boolean;
  error: unknown;
  setError: (e: unknown) => void;
  reload: () => Promise<void>;
  loadMore: () => Promise<void>;
  /** a status the UI set itself (a reprocess): a list answered later must not put an older one back */
  noteStatus: (id: string, status: string) => void;
}

export function useDocuments(filter: Record<string, string>, sort: string, typing: boolean): DocumentList {
  const [docs, setDocs] = useState<Doc[] | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fetchPage = useCallback((offset: number) => api.get<C.DocumentList>(`/api/documents${qs({ ...filter, sort, limit: PAGE, offset })}`), [filter, sort]);
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

  useEffect(() => {
    const h = setTimeout(() => void reload(), typing ? 250 : 0);
    return () => clearTimeout(h);
  }, [reload, typing]);

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

  const hasMore = !!docs && (total === null || total > docs.length) && docs.length >= PAGE;
  const noteStatus = useCallback((id: string, status: string) => void liveStatus.current.set(id, status), []);
  return { docs, setDocs, total, hasMore, error, setError, reload, loadMore, noteStatus };
}
