/* The research chat's mission card: the planner's proposal, editable. Saving
 * sends the whole card (PUT /api/missions/drafts/{id}); a 422 names the
 * field, shown next to it. */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, type Group } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { GroupSelect } from './GroupSelect';

export interface Proposal {
  title: string;
  questions: string[];
  sources: { documents: boolean; web: boolean; scholarly: boolean; group_id: string | null };
  depth: string;
  language: string;
  tone: string;
  audience: string;
  origin: string;
  matched_documents: { id: string; title: string }[];
}

/** The card of a draft; a draft without a proposal yet shows an empty one. */
export function normProposal(p: C.Proposal | null): Proposal {
  if (!p) return { title: '', questions: [], sources: { documents: false, web: false, scholarly: false, group_id: null }, depth: 'standard', language: 'en', tone: '', audience: '', origin: '', matched_documents: [] };
  return {
    ...p,
    sources: { ...p.sources, group_id: p.sources.group_id ?? null },
    origin: p.origin ?? '',
    matched_documents: (p.matched_documents ?? []).map((d) => ({ id: d.id, title: d.title ?? '' })),
  };
}

export function ProposalCard({
  proposal,
  groups,
  readOnly,
  onSave,
}: {
  proposal: Proposal;
  groups: Group[];
  readOnly: boolean;
  onSave: (card: Omit<Proposal, 'origin' | 'matched_documents'>) => Promise<void>;
}) {
  const { t } = useI18n();
  const [card, setCard] = useState(proposal);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [fieldErr, setFieldErr] = useState<{ field: string; message: string } | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setCard(proposal);
    setDirty(false);
  }, [proposal]);

  const change = (patch: Partial<Proposal>) => {
    setCard((c) => ({ ...c, ...patch }));
    setDirty(true);
    setSaved(false);
  };
  const setQ = (i: number, v: string) => change({ questions: card.questions.map((q, k) => (k === i ? v : q)) });
  const errFor = (f: string) =>
    fieldErr && (fieldErr.field === f || fieldErr.field.startsWith(`${f}.`)) ? (
      <span className="field-error" role="alert" data-testid={`card-error-${f}`}>
        {fieldErr.message}
      </span>
    ) : null;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFieldErr(null);
    try {
      const { origin: _o, matched_documents: _m, ...body } = card;
      await onSave(body);
      setDirty(false);
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError) setFieldErr({ field: String(err.body?.error?.field ?? ''), message: err.message });
      else setFieldErr({ field: '', message: String(err) });
    } finally {
      setBusy(false);
    }
  };

  const dis = readOnly || busy;
  return (
    <form className="proposal-card card" onSubmit={save} data-testid="proposal-card">
      <div className="proposal-head">
        <h2 className="h3">{t('rc.card')}</h2>
        {card.origin && (
          <span className={`badge origin-${card.origin}`} data-testid="card-origin">
            {t(`rc.origin.${card.origin}`)}
          </span>
        )}
      </div>
      <label className="field">
        <span>{t('rc.titleField')}</span>
        <input value={card.title} disabled={dis} onChange={(e) => change({ title: e.target.value })} data-testid="card-title" />
        {errFor('title')}
      </label>
      <fieldset className="field">
        <legend>{t('rc.questions')}</legend>
        <ol className="card-questions">
          {card.questions.map((q, i) => (
            <li key={i}>
              <input value={q} disabled={dis} aria-label={t('rc.questionN', { n: i + 1 })} onChange={(e) => setQ(i, e.target.value)} />
              {!readOnly && (
                <button type="button" className="btn-icon" aria-label={t('rc.removeQuestion', { n: i + 1 })} disabled={dis} onClick={() => change({ questions: card.questions.filter((_, k) => k !== i) })}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ol>
        {!readOnly && card.questions.length < 8 && (
          <button type="button" className="btn btn-ghost small" disabled={dis} onClick={() => change({ questions: [...card.questions, ''] })}>
            + {t('rc.addQuestion')}
          </button>
        )}
        {errFor('questions')}
      </fieldset>
      <fieldset className="field">
        <legend>{t('rc.sources')}</legend>
        {(['documents', 'web', 'scholarly'] as const).map((k) => (
          <label key={k} className="check">
            <input type="checkbox" checked={card.sources[k]} disabled={dis} onChange={(e) => change({ sources: { ...card.sources, [k]: e.target.checked } })} data-testid={`card-src-${k}`} />
            {t(k === 'documents' ? 'rc.srcDocs' : k === 'web' ? 'rc.srcWeb' : 'rc.srcScholarly')}
          </label>
        ))}
        {groups.length > 0 && (
          <label className="field">
            <span>{t('rc.group')}</span>
            <GroupSelect groups={groups} value={card.sources.group_id ?? ''} disabled={dis} onChange={(g) => change({ sources: { ...card.sources, group_id: g || null } })} emptyLabel={t('new.allDocs')} />
          </label>
        )}
        {errFor('sources')}
      </fieldset>
      {card.matched_documents.length > 0 && (
        <div className="field small">
          <span className="muted">{t('rc.matched')}</span>
          <ul className="matched-docs">
            {card.matched_documents.map((d) => (
              <li key={d.id}>{d.title}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="card-grid">
        <label className="field">
          <span>{t('rc.depth')}</span>
          <select value={card.depth} disabled={dis} onChange={(e) => change({ depth: e.target.value })} data-testid="card-depth">
            {['quick', 'standard', 'deep'].map((d) => (
              <option key={d} value={d}>
                {t(`rc.depth.${d}`)}
              </option>
            ))}
          </select>
          {errFor('depth')}
        </label>
        <label className="field">
          <span>{t('rc.language')}</span>
          <input value={card.language} disabled={dis} onChange={(e) => change({ language: e.target.value })} />
          {errFor('language')}
        </label>
        <label className="field">
          <span>{t('rc.tone')}</span>
          <input value={card.tone} disabled={dis} onChange={(e) => change({ tone: e.target.value })} />
          {errFor('tone')}
        </label>
        <label className="field">
          <span>{t('rc.audience')}</span>
          <input value={card.audience} disabled={dis} onChange={(e) => change({ audience: e.target.value })} data-testid="card-audience" />
          {errFor('audience')}
        </label>
      </div>
      {fieldErr && !fieldErr.field && (
        <div className="alert alert-error" role="alert">
          {fieldErr.message}
        </div>
      )}
      {!readOnly && (
        <div className="card-actions">
          {saved && !dirty && <span className="muted small">{t('rc.saved')}</span>}
          <button type="submit" className="btn" disabled={dis || !dirty} data-testid="card-save">
            {t('rc.saveCard')}
          </button>
        </div>
      )}
    </form>
  );
}
