import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, ApiError, type Preflight } from '../lib/api';
import type * as C from '../lib/contract';
import { useGroups } from '../lib/groups';
import { GroupSelect } from '../components/GroupSelect';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { emptyMissionForm, missionPayload, validateMission, type Errors, type MissionForm } from '../lib/validation';
import { ErrorBox, Field, Notice } from '../components/ui';
import { PreflightPanel } from '../components/PreflightPanel';
import { PluginSourceChoices } from '../components/PluginSources';

/** How long the form must rest before the preflight is asked again. */
export const PREFLIGHT_DELAY_MS = 400;

export function NewMissionPage() {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const nav = useNavigate();
  const [f, setF] = useState<MissionForm>(emptyMissionForm);
  const [errors, setErrors] = useState<Errors>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { groups } = useGroups();
  const [advanced, setAdvanced] = useState(false);
  const [pf, setPf] = useState<Preflight | null>(null);
  const [checking, setChecking] = useState(false);
  const [allowEmpty, setAllowEmpty] = useState(false);
  // MCP servers the caller may use (names only, not connected); null: not known yet
  const [mcpServers, setMcpServers] = useState<number | null>(null);
  const noMcp = mcpServers === 0;

  useEffect(() => {
    api
      .get<C.McpServers>('/api/mcp/servers?connect=0')
      .then((r) => {
        const n = r.servers.length;
        setMcpServers(n);
        if (!n) setF((old) => ({ ...old, useTools: false }));
      })
      .catch(() => setMcpServers(null));
    // research defaults from the user's settings
    api
      .get<C.Settings>('/api/settings')
      .then((r) => {
        // effective.research: the server defaults with the user's own over them
        const d = r.effective.research;
        setF((old) => ({
          ...old,
          maxRounds: d.max_rounds !== undefined ? String(d.max_rounds) : old.maxRounds,
          maxPasses: d.max_passes !== undefined ? String(d.max_passes) : old.maxPasses,
          language: d.language || old.language,
          tone: d.tone || old.tone,
          length: d.length || old.length,
        }));
      })
      .catch(() => {});
  }, []);

  // The preflight depends only on the sources and the group: ask again
  // (debounced) when they change, and drop answers that arrive out of order.
  const pfKey = JSON.stringify([f.useDocuments, f.useWeb, f.useScholarly, f.pluginSources, f.useDocuments ? f.groupId : '']);
  useEffect(() => {
    if (!canWrite) return;
    const ctl = new AbortController();
    setChecking(true);
    const timer = setTimeout(() => {
      api
        .post<Preflight>('/api/missions/preflight', missionPayload(f), { signal: ctl.signal })
        .then((r) => {
          setPf(r && typeof r === 'object' ? r : null);
          setChecking(false);
        })
        .catch((e) => {
          if ((e as Error)?.name !== 'AbortError') setChecking(false);
        });
    }, PREFLIGHT_DELAY_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pfKey, canWrite]);

  const set = <K extends keyof MissionForm>(k: K, v: MissionForm[K]) => {
    const next = { ...f, [k]: v };
    setF(next);
    if (submitted) setErrors(validateMission(next));
  };
  const setQuestion = (i: number, v: string) => set('questions', f.questions.map((q, j) => (j === i ? v : q)));
  const addQuestion = () => set('questions', [...f.questions, '']);
  const removeQuestion = (i: number) => set('questions', f.questions.length > 1 ? f.questions.filter((_, j) => j !== i) : ['']);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const errs = validateMission(f);
    setErrors(errs);
    if (Object.keys(errs).length) {
      const first = document.querySelector<HTMLElement>('.has-error input, .has-error textarea, .has-error select');
      first?.focus();
      if (errs.maxRounds || errs.maxPasses || errs.budget) setAdvanced(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = missionPayload(f);
      if (allowEmpty && pf?.empty) body.allow_empty = true;
      const r = await api.post<C.MissionCreated>('/api/missions', body);
      nav(`/missions/${r.id}`);
    } catch (err) {
      // refused as empty: show the server's list where the user looks
      if (err instanceof ApiError && err.body?.preflight) setPf(err.body.preflight);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!canWrite) return <div className="page"><Notice kind="warn">{t('common.readOnly')}</Notice></div>;

  return (
    <div className="page page-narrow">
      <h1>{t('new.title')}</h1>
      <form className="card form" onSubmit={submit} noValidate data-testid="new-mission-form">
        <Field label={t('new.missionTitle')} error={errors.title} htmlFor="m-title">
          <input id="m-title" value={f.title} onChange={(e) => set('title', e.target.value)} aria-invalid={!!errors.title} placeholder={t('new.titlePh')} />
        </Field>
        <Field label={t('new.description')} error={errors.description} htmlFor="m-desc" hint={t('new.descHint')}>
          <textarea id="m-desc" rows={4} value={f.description} onChange={(e) => set('description', e.target.value)} />
        </Field>
        <fieldset className={`field${errors.questions ? ' has-error' : ''}`}>
          <legend>{t('new.questions')}</legend>
          {f.questions.map((q, i) => (
            <div className="row-input" key={i}>
              <input
                value={q}
                aria-label={t('new.questionN', { n: i + 1 })}
                onChange={(e) => setQuestion(i, e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    addQuestion();
                  }
                }}
                placeholder={t('new.questionPh')}
                aria-invalid={!!errors.questions || !!errors[`questions.${i}`]}
              />
              <button type="button" className="btn btn-ghost" onClick={() => removeQuestion(i)} aria-label={t('new.removeQuestion', { n: i + 1 })}>
                −
              </button>
              {errors[`questions.${i}`] && <div className="field-error">{t(errors[`questions.${i}`])}</div>}
            </div>
          ))}
          <button type="button" className="btn btn-secondary btn-sm" onClick={addQuestion}>
            + {t('new.addQuestion')}
          </button>
          {errors.questions && (
            <div className="field-error" role="alert">
              {t(errors.questions)}
            </div>
          )}
        </fieldset>
        <fieldset className={`field${errors.sources ? ' has-error' : ''}`}>
          <legend>{t('new.sources')}</legend>
          <label className="check">
            <input type="checkbox" checked={f.useDocuments} onChange={(e) => set('useDocuments', e.target.checked)} /> {t('new.srcDocs')}
          </label>
          <label className="check">
            <input type="checkbox" checked={f.useWeb} onChange={(e) => set('useWeb', e.target.checked)} /> {t('new.srcWeb')}
          </label>
          <label className="check">
            <input type="checkbox" checked={f.useScholarly} onChange={(e) => set('useScholarly', e.target.checked)} /> {t('new.srcScholarly')}
          </label>
          <PluginSourceChoices selected={f.pluginSources} onChange={(v) => set('pluginSources', v)} />
          <label className={`check${noMcp ? ' muted' : ''}`}>
            <input type="checkbox" checked={!!f.useTools && !noMcp} disabled={noMcp} onChange={(e) => set('useTools', e.target.checked)} data-testid="src-tools" aria-describedby={noMcp ? 'src-tools-why' : undefined} />{' '}
            {t('new.srcTools')}
          </label>
          {noMcp && (
            <div id="src-tools-why" className="muted small" data-testid="src-tools-why">
              {t('new.srcToolsNone')}
            </div>
          )}
          {errors.sources && (
            <div className="field-error" role="alert">
              {t(errors.sources)}
            </div>
          )}
        </fieldset>
        <div className="grid-3">
          <Field label={t('new.group')} htmlFor="m-group" hint={groups.length ? undefined : t('new.noGroups')}>
            <GroupSelect id="m-group" groups={groups} value={f.groupId} onChange={(g) => set('groupId', g)} emptyLabel={t('new.allDocs')} disabled={!f.useDocuments} />
          </Field>
          <Field label={t('new.depth')} htmlFor="m-depth" hint={t(`depth.${f.depth}Hint`)}>
            <select id="m-depth" value={f.depth} onChange={(e) => set('depth', e.target.value as MissionForm['depth'])}>
              {(['quick', 'standard', 'deep'] as const).map((x) => (
                <option key={x} value={x}>
                  {t(`depth.${x}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('new.language')} htmlFor="m-lang">
            <select id="m-lang" value={f.language} onChange={(e) => set('language', e.target.value)}>
              <option value="en">English</option>
              <option value="ko">한국어</option>
              <option value="ja">日本語</option>
              <option value="zh">中文</option>
              <option value="de">Deutsch</option>
              <option value="fr">Français</option>
              <option value="es">Español</option>
            </select>
          </Field>
        </div>
        <details className="advanced" open={advanced} onToggle={(e) => setAdvanced((e.target as HTMLDetailsElement).open)}>
          <summary>{t('new.advanced')}</summary>
          <div className="grid-3">
            <Field label={t('new.rounds')} error={errors.maxRounds} htmlFor="m-rounds" hint={`1–20 · ${t('new.depthDefault')}`}>
              <input id="m-rounds" inputMode="numeric" value={f.maxRounds} onChange={(e) => set('maxRounds', e.target.value)} aria-invalid={!!errors.maxRounds} />
            </Field>
            <Field label={t('new.passes')} error={errors.maxPasses} htmlFor="m-passes" hint={`1–10 · ${t('new.depthDefault')}`}>
              <input id="m-passes" inputMode="numeric" value={f.maxPasses} onChange={(e) => set('maxPasses', e.target.value)} aria-invalid={!!errors.maxPasses} />
            </Field>
            <Field label={t('new.budget')} error={errors.budget} htmlFor="m-budget" hint={t('new.budgetHint')}>
              <input id="m-budget" inputMode="decimal" value={f.budget} onChange={(e) => set('budget', e.target.value)} aria-invalid={!!errors.budget} />
            </Field>
            <Field label={t('new.tone')} htmlFor="m-tone">
              <select id="m-tone" value={f.tone} onChange={(e) => set('tone', e.target.value)}>
                {['neutral', 'academic', 'business', 'casual'].map((x) => (
                  <option key={x} value={x}>
                    {t(`tone.${x}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('new.length')} htmlFor="m-length">
              <select id="m-length" value={f.length} onChange={(e) => set('length', e.target.value)}>
                {['short', 'medium', 'long'].map((x) => (
                  <option key={x} value={x}>
                    {t(`length.${x}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('new.schedule')} htmlFor="m-schedule">
              <select id="m-schedule" value={f.schedule} onChange={(e) => set('schedule', e.target.value)}>
                <option value="">{t('new.once')}</option>
                {['weekly', 'monthly', 'quarterly'].map((x) => (
                  <option key={x} value={x}>
                    {t(`schedule.${x}`)}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        </details>
        <PreflightPanel pf={pf} checking={checking} allowEmpty={allowEmpty} onAllowEmpty={setAllowEmpty} />
        <ErrorBox error={error} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={() => nav(-1)}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? t('common.saving') : t('new.start')}
          </button>
        </div>
      </form>
    </div>
  );
}
