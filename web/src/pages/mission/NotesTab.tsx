import { useMemo, useState } from 'react';
import type { Note, Plan, PlanSection } from '../../lib/api';
import { useI18n } from '../../lib/i18n';

function flatten(list: PlanSection[], prefix = '', out = new Map<string, string>()): Map<string, string> {
  list.forEach((s, i) => {
    const num = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
    out.set(s.id, `${num} ${s.title}`);
    flatten(s.subsections, num, out);
  });
  return out;
}

export function credClass(c: number): string {
  if (c >= 8) return 'cred-high';
  if (c >= 5) return 'cred-mid';
  return 'cred-low';
}

export function NotesTab({ notes, plan }: { notes: Note[]; plan: Plan | null }) {
  const { t } = useI18n();
  const [section, setSection] = useState('');
  const [source, setSource] = useState('');
  const [text, setText] = useState('');
  const titles = useMemo(() => flatten(plan?.sections ?? []), [plan]);
  const sources = useMemo(() => [...new Set(notes.map((n) => n.source).filter(Boolean))].sort(), [notes]);

  const filtered = notes.filter((n) => {
    if (section && n.section_id !== section) return false;
    if (source === '__web' && n.source_type !== 'web') return false;
    if (source === '__doc' && n.source_type !== 'document') return false;
    if (source && !source.startsWith('__') && n.source !== source) return false;
    if (text && !`${n.quote} ${n.content} ${n.source}`.toLowerCase().includes(text.toLowerCase())) return false;
    return true;
  });
  const groups = new Map<string, Note[]>();
  // sections in plan order first, then any others
  for (const id of titles.keys()) groups.set(id, []);
  for (const n of filtered) {
    const k = n.section_id || '';
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(n);
  }

  if (notes.length === 0) return <div className="empty"><p>{t('notes.empty')}</p></div>;

  return (
    <div className="notes-tab">
      <div className="toolbar filters">
        <label className="inline-field">
          <span>{t('notes.section')}</span>
          <select value={section} onChange={(e) => setSection(e.target.value)} data-testid="notes-section-filter">
            <option value="">{t('common.all')}</option>
            {[...groups.keys()].map((id) => (
              <option key={id} value={id}>
                {titles.get(id) ?? (id || t('notes.unassigned'))}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>{t('notes.source')}</span>
          <select value={source} onChange={(e) => setSource(e.target.value)} data-testid="notes-source-filter">
            <option value="">{t('common.all')}</option>
            <option value="__doc">{t('notes.fromDocs')}</option>
            <option value="__web">{t('notes.fromWeb')}</option>
            {sources.map((s) => (
              <option key={s} value={s}>
                {s.length > 60 ? `${s.slice(0, 57)}…` : s}
              </option>
            ))}
          </select>
        </label>
        <input type="search" placeholder={t('common.search')} aria-label={t('common.search')} value={text} onChange={(e) => setText(e.target.value)} />
        <span className="muted">{t('notes.count', { n: filtered.length, total: notes.length })}</span>
      </div>
      {[...groups.entries()]
        .filter(([, list]) => list.length > 0)
        .map(([id, list]) => (
          <section key={id} className="note-group">
            <h3>{titles.get(id) ?? (id || t('notes.unassigned'))}</h3>
            <ul className="note-list">
              {list.map((n) => (
                <li key={n.id} className="note card">
                  <blockquote>{n.quote || n.content}</blockquote>
                  {n.quote && n.content && n.content !== n.quote && <p className="note-content">{n.content}</p>}
                  <div className="note-meta">
                    <span className={`cred ${credClass(n.credibility)}`} title={t('notes.credibility')}>
                      {t('notes.credibility')} {n.credibility || '?'}/10
                    </span>
                    <span className="note-source">
                      <span className={`src-kind src-${n.source_type === 'web' ? 'web' : 'doc'}`}>{n.source_type === 'web' ? t('notes.web') : t('notes.doc')}</span>{' '}
                      {n.url ? (
                        <a href={n.url} target="_blank" rel="noopener noreferrer">
                          {n.source || n.url}
                        </a>
                      ) : (
                        n.source || '—'
                      )}
                      {n.page && <span className="muted"> · p. {n.page}</span>}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          </section>
        ))}
    </div>
  );
}
