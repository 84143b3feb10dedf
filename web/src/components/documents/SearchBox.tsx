import { useState, type FormEvent } from 'react';
import { api, normPassage, type Group, type Passage } from '../../lib/api';
import type * as C from '../../lib/contract';
import { useI18n } from '../../lib/i18n';
import { ErrorBox } from '../ui';
import { GroupSelect } from '../GroupSelect';

/** Passage search over the library (hybrid, lexical or vector), optionally within a group. */
export function SearchBox({ groups, onSearched, onOpen }: { groups: Group[]; onSearched: (q: string) => void; onOpen: (docId: string) => void }) {
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
        <GroupSelect groups={groups} value={gid} onChange={setGid} emptyLabel={t('new.allDocs')} aria-label={t('docs.group')} />
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
