import { useEffect, useMemo, useState } from 'react';
import { api, type Doc } from '../../lib/api';
import type * as C from '../../lib/contract';
import { useI18n } from '../../lib/i18n';
import { ErrorBox, Modal, Spinner } from '../ui';

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
export function DocTextModal({ doc, query, onClose }: { doc: Doc; query: string; onClose: () => void }) {
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
