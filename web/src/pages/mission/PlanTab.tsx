import { useEffect, useState } from 'react';
import { api, type Plan, type PlanSection } from '../../lib/api';
import type * as C from '../../lib/contract';
import { useI18n } from '../../lib/i18n';
import { ErrorBox, Notice } from '../../components/ui';

let seq = 0;
const newId = () => `new-${Date.now().toString(36)}-${++seq}`;

/** Replace the section with `id` anywhere in the tree (null removes it). */
export function updateSection(list: PlanSection[], id: string, fn: (s: PlanSection) => PlanSection | null): PlanSection[] {
  const out: PlanSection[] = [];
  for (const s of list) {
    if (s.id === id) {
      const r = fn(s);
      if (r) out.push(r);
    } else out.push({ ...s, subsections: updateSection(s.subsections, id, fn) });
  }
  return out;
}

export function moveSection(list: PlanSection[], id: string, dir: -1 | 1): PlanSection[] {
  const i = list.findIndex((s) => s.id === id);
  if (i >= 0) {
    const j = i + dir;
    if (j < 0 || j >= list.length) return list;
    const copy = list.slice();
    [copy[i], copy[j]] = [copy[j], copy[i]];
    return copy;
  }
  return list.map((s) => ({ ...s, subsections: moveSection(s.subsections, id, dir) }));
}

interface Assessment {
  id: string;
  title: string;
  quality: number | null;
  gaps: string[];
  contradictions: string[];
  new_questions: string[];
}
export interface Reflection {
  round: number;
  sections: Assessment[];
  outline_changes: string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && !!x.trim()) : []);

/** An outline change as a line: "add: Costs", "merge s3 into s1". */
function changeText(change: unknown): string {
  if (!change || typeof change !== 'object') return String(change ?? '');
  const c = change as { action?: string; title?: string; id?: string; into?: string; order?: unknown };
  const a = String(c.action ?? '');
  if (a === 'add') return `${a}: ${c.title ?? ''}`;
  if (a === 'merge') return `${a}: ${c.id ?? ''} → ${c.into ?? ''}`;
  if (a === 'reorder') return `${a}: ${strings(c.order).join(', ')}`;
  return `${a}: ${c.id ?? ''}`;
}

/** The reflector's assessments in analysis.reflections, by round. */
export function normReflections(analysis: C.Analysis | null | undefined): Reflection[] {
  return (analysis?.reflections ?? [])
    .map((r) => ({
      round: r.round,
      sections: r.sections.map((a) => ({
        id: a.id,
        title: a.title || a.id,
        quality: a.quality,
        gaps: strings(a.gaps),
        contradictions: strings(a.contradictions),
        new_questions: strings(a.new_questions),
      })),
      outline_changes: (r.outline_changes ?? []).map(changeText).filter(Boolean),
    }))
    .sort((a, b) => a.round - b.round);
}

const ANALYSIS_KEYS = ['type', 'audience', 'tone', 'length', 'language'] as const;

/** Why the plan is what it is: the planner's analysis and the reflector's assessment per round. */
export function PlanReasoning({ analysis }: { analysis: C.Analysis | null | undefined }) {
  const { t } = useI18n();
  const an = analysis ?? {};
  const facts = ANALYSIS_KEYS.filter((k) => an[k]);
  const rounds = normReflections(an);
  if (!facts.length && !rounds.length) return null;
  const list = (label: string, items: string[]) =>
    items.length > 0 && (
      <div>
        <span className="label">{label}</span>
        <ul>
          {items.map((x, i) => (
            <li key={i}>{x}</li>
          ))}
        </ul>
      </div>
    );
  return (
    <section className="plan-reasoning card" data-testid="plan-reasoning" aria-label={t('plan.reflections')}>
      {facts.length > 0 && (
        <>
          <h3>{t('plan.analysis')}</h3>
          <dl className="plan-analysis" data-testid="plan-analysis">
            {facts.map((k) => (
              <div key={k}>
                <dt>{t(`plan.an.${k}`)}</dt>
                <dd>{String(an[k])}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {rounds.length > 0 && <h3>{t('plan.reflections')}</h3>}
      {rounds.map((r) => (
        <div key={r.round} className="reflection" data-testid={`reflection-${r.round}`}>
          <h4>{t('plan.reflectionRound', { n: r.round })}</h4>
          {r.sections.map((a) => (
            <div key={a.id} className="reflection-section">
              <strong>{a.title}</strong>
              {a.quality !== null && (
                <span className="quality muted">
                  {t('plan.quality')} {Math.round(a.quality * 100)}%
                </span>
              )}
              {list(t('plan.gaps'), a.gaps)}
              {list(t('plan.contradictions'), a.contradictions)}
              {list(t('plan.newQuestions'), a.new_questions)}
              {!a.gaps.length && !a.contradictions.length && !a.new_questions.length && <p className="muted small">{t('plan.noFindings')}</p>}
            </div>
          ))}
          {list(t('plan.outlineChanges'), r.outline_changes)}
        </div>
      ))}
    </section>
  );
}

export function PlanTab({ missionId, plan, analysis, editable, onSaved }: { missionId: string; plan: Plan | null; analysis?: C.Analysis | null; editable: boolean; onSaved: (p: Plan) => void }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<PlanSection[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (editable) return;
    setEditing(false);
    setSaved(false); // "resume to continue" is no longer news once it runs
  }, [editable]);

  if (!plan || plan.sections.length === 0)
    return (
      <div className="empty" data-testid="plan-empty">
        <p>{t('plan.empty')}</p>
      </div>
    );

  const startEdit = () => {
    setDraft(JSON.parse(JSON.stringify(plan.sections)));
    setEditing(true);
    setSaved(false);
  };
  const save = async () => {
    setBusy(true);
    setError(null);
    type SectionBody = { id?: string; title: string; questions: string[]; subsections: SectionBody[] };
    const clean = (l: PlanSection[]): SectionBody[] =>
      l.map((s) => ({
        ...(s.id.startsWith('new-') ? {} : { id: s.id }),
        title: s.title.trim(),
        questions: s.questions.map((q) => q.trim()).filter(Boolean),
        subsections: clean(s.subsections),
      }));
    const body = { sections: clean(draft) };
    try {
      onSaved(await api.put<C.Plan>(`/api/missions/${missionId}/plan`, body));
      setEditing(false);
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const upd = (id: string, fn: (s: PlanSection) => PlanSection | null) => setDraft((d) => updateSection(d, id, fn));

  const renderEdit = (list: PlanSection[], depth: number) => (
    <ol className="plan-edit-list">
      {list.map((s, i) => (
        <li key={s.id} className="plan-edit-item">
          <div className="plan-edit-row">
            <input value={s.title} aria-label={t('plan.sectionTitle')} onChange={(e) => upd(s.id, (x) => ({ ...x, title: e.target.value }))} />
            <button type="button" className="btn btn-ghost btn-sm" disabled={i === 0} onClick={() => setDraft((d) => moveSection(d, s.id, -1))} aria-label={t('plan.moveUp')}>
              ↑
            </button>
            <button type="button" className="btn btn-ghost btn-sm" disabled={i === list.length - 1} onClick={() => setDraft((d) => moveSection(d, s.id, 1))} aria-label={t('plan.moveDown')}>
              ↓
            </button>
            {depth < 2 && (
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => upd(s.id, (x) => ({ ...x, subsections: [...x.subsections, { id: newId(), title: '', questions: [], subsections: [] }] }))}>
                + {t('plan.addSub')}
              </button>
            )}
            <button type="button" className="btn btn-ghost btn-sm danger" onClick={() => upd(s.id, () => null)} aria-label={t('plan.remove')}>
              ✕
            </button>
          </div>
          <textarea
            rows={Math.max(2, s.questions.length + 1)}
            value={s.questions.join('\n')}
            aria-label={t('plan.questionsOnePerLine')}
            placeholder={t('plan.questionsOnePerLine')}
            onChange={(e) => upd(s.id, (x) => ({ ...x, questions: e.target.value.split('\n') }))}
          />
          {s.subsections.length > 0 && renderEdit(s.subsections, depth + 1)}
        </li>
      ))}
    </ol>
  );

  const renderTree = (list: PlanSection[], prefix: string) => (
    <ul className="plan-tree" role={prefix ? 'group' : 'tree'} aria-label={prefix ? undefined : t('mission.tab.plan')}>
      {list.map((s, i) => {
        const num = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
        return (
          <li key={s.id} role="treeitem" aria-expanded={s.subsections.length ? true : undefined}>
            <div className="plan-node">
              <span className="plan-num">{num}</span>
              <span className="plan-title">{s.title || <em className="muted">{t('plan.untitled')}</em>}</span>
            </div>
            {s.questions.length > 0 && (
              <ul className="plan-questions">
                {s.questions.map((q, j) => (
                  <li key={j}>{q}</li>
                ))}
              </ul>
            )}
            {s.subsections.length > 0 && renderTree(s.subsections, num)}
          </li>
        );
      })}
    </ul>
  );

  return (
    <div className="plan-tab">
      <div className="toolbar">
        <span className="muted">{editable ? t('plan.editableHint') : t('plan.pauseToEdit')}</span>
        {editable && !editing && (
          <button type="button" className="btn btn-secondary" onClick={startEdit} data-testid="plan-edit">
            {t('plan.edit')}
          </button>
        )}
      </div>
      {saved && <Notice kind="success">{t('plan.saved')}</Notice>}
      <ErrorBox error={error} />
      {editing ? (
        <div className="plan-editor card">
          {renderEdit(draft, 0)}
          <div className="form-actions">
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setDraft((d) => [...d, { id: newId(), title: '', questions: [], subsections: [] }])}>
              + {t('plan.addSection')}
            </button>
            <span className="spacer" />
            <button type="button" className="btn btn-ghost" onClick={() => setEditing(false)}>
              {t('common.cancel')}
            </button>
            <button type="button" className="btn btn-primary" onClick={save} disabled={busy} data-testid="plan-save">
              {busy ? t('common.saving') : t('plan.saveContinue')}
            </button>
          </div>
        </div>
      ) : (
        <>
          <div className="card">{renderTree(plan.sections, '')}</div>
          <PlanReasoning analysis={analysis} />
        </>
      )}
    </div>
  );
}
