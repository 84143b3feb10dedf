import { useEffect, useRef } from 'react';
import { useI18n } from '../lib/i18n';

export interface CitedNote {
  id: string;
  quote: string;
  content: string;
  page: string;
  credibility: number;
  /** cited at the spot the reader clicked */
  cited: boolean;
}

export interface CitationView {
  n: number;
  title: string;
  text: string;
  quote: string;
  url: string;
  page: string;
  score?: number;
  extra?: string;
  /** the source as a reference names it: file, authors, year */
  details?: string;
  /** the source's notes, the ones cited at this spot first */
  notes?: CitedNote[];
}

/** The side panel that shows the passage behind a `[n]` citation. */
export function CitationPanel({ cite, onClose }: { cite: CitationView | null; onClose: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (cite) ref.current?.focus();
  }, [cite]);
  useEffect(() => {
    if (!cite) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [cite, onClose]);
  if (!cite) return null;
  return (
    <aside className="cite-panel card" aria-label={t('cite.panel')} tabIndex={-1} ref={ref} data-testid="citation-panel">
      <div className="cite-panel-head">
        <h3>
          {t('cite.source')} [{cite.n}]
        </h3>
        <button type="button" className="btn-icon" onClick={onClose} aria-label={t('common.close')}>
          ×
        </button>
      </div>
      {cite.title && <p className="cite-title">{cite.title}</p>}
      {cite.page && (
        <p className="muted small">
          {t('cite.page')} {cite.page}
        </p>
      )}
      {typeof cite.score === 'number' && cite.score > 0 && (
        <p className="muted small">
          {t('search.score')} {cite.score.toFixed(3)}
        </p>
      )}
      {cite.details && <p className="muted small">{cite.details}</p>}
      {cite.notes && cite.notes.length > 0 ? (
        <ul className="cite-notes" data-testid="cite-notes">
          {cite.notes.map((n, i) => (
            <li key={n.id} className={`cite-note${n.cited ? ' cited' : ''}`} data-note={n.id}>
              {(i === 0 || (!n.cited && cite.notes![i - 1].cited)) && (
                <div className="cite-note-label">{n.cited ? t('cite.citedHere') : t('cite.otherNotes')}</div>
              )}
              <blockquote className="cite-quote">{n.quote || n.content}</blockquote>
              <p className="muted small">
                {n.page && `${t('cite.page')} ${n.page}`}
                {n.page && n.credibility > 0 && ' · '}
                {n.credibility > 0 && `${t('notes.credibility')} ${n.credibility}/10`}
              </p>
            </li>
          ))}
        </ul>
      ) : cite.quote ? (
        <blockquote className="cite-quote">{cite.quote}</blockquote>
      ) : (
        <p className="muted">{t('cite.noPassage')}</p>
      )}
      {cite.text && !cite.text.startsWith(cite.title) && <p className="small">{cite.text}</p>}
      {cite.extra && <p className="small muted">{cite.extra}</p>}
      {cite.url && (
        <a href={cite.url} target="_blank" rel="noopener noreferrer" className="cite-url">
          {cite.url}
        </a>
      )}
    </aside>
  );
}
