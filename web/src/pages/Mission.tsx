import { useCallback, useEffect, useReducer, useRef, useState, type KeyboardEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, ApiError, normLog, normMission, normNote, type LogEntry, type Mission, type Note, type Plan, type PlanSection } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { useChannel, useConnState } from '../lib/live';
import { usePageTitle } from '../lib/title';
import { applyEvent, initialMissionState, isTerminal, mergeLogs, mergeNotes, type MissionState } from '../lib/missionState';
import type { LiveEvent } from '../lib/ws';
import { ErrorBox, Notice, OutcomeBadge, ProgressBar, Spinner, StatusBadge, fmtCost, fmtDuration, parseTime } from '../components/ui';
import { PlanTab } from './mission/PlanTab';
import { ActivityTab } from './mission/ActivityTab';
import { NotesTab } from './mission/NotesTab';
import { ReportTab } from './mission/ReportTab';

type Action =
  | { type: 'init'; mission: Mission }
  | { type: 'mission'; mission: Mission }
  | { type: 'event'; ev: LiveEvent }
  | { type: 'plan'; plan: Plan | null; force?: boolean }
  | { type: 'notes'; notes: Note[] }
  | { type: 'logs'; logs: LogEntry[] };

function reducer(s: MissionState | null, a: Action): MissionState | null {
  if (a.type === 'init') return initialMissionState(a.mission);
  if (!s) return s;
  switch (a.type) {
    case 'mission': {
      // running again after a failure: its error is history
      const rerun = (a.mission.status === 'queued' || a.mission.status === 'running') && s.mission.status !== a.mission.status;
      return rerun ? { ...s, mission: { ...a.mission, error: '', outcome: '' }, errors: [] } : { ...s, mission: a.mission };
    }
    case 'event':
      return applyEvent(s, a.ev);
    case 'plan':
      return a.plan && (a.force || !s.plan) ? { ...s, plan: a.plan } : s;
    case 'notes':
      return { ...s, notes: mergeNotes(a.notes, s.notes) };
    case 'logs':
      return { ...s, logs: mergeLogs(s.logs, a.logs) };
  }
  return s;
}

/** The title of section `id` anywhere in the outline (the id when unknown). */
function sectionTitle(list: PlanSection[], id: string): string {
  for (const s of list) {
    if (s.id === id) return s.title || id;
    const sub = sectionTitle(s.subsections, id);
    if (sub !== id) return sub;
  }
  return id;
}

const TABS = ['plan', 'activity', 'notes', 'report'] as const;
type Tab = (typeof TABS)[number];

export function MissionPage() {
  const { id = '' } = useParams();
  const { t, fmtNum, fmtDate } = useI18n();
  const { canWrite } = useAuth();
  const conn = useConnState();
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') || '') ? (params.get('tab') as Tab) : 'plan';
  const [state, dispatch] = useReducer(reducer, null);
  const [after, setAfter] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [pending, setPending] = useState('');
  const [now, setNow] = useState(Date.now());
  const [resumeRound, setResumeRound] = useState('');
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const navigate = useNavigate();
  const [draftId, setDraftId] = useState('');
  usePageTitle(t('title.mission', { title: state?.mission.title || '…' }));

  useEffect(() => {
    let alive = true;
    setAfter(null);
    setLoadError(null);
    api
      .get<C.Mission>(`/api/missions/${encodeURIComponent(id)}`)
      .then((r) => {
        if (!alive) return;
        const m = normMission(r);
        setDraftId(r.draft_id ?? '');
        dispatch({ type: 'init', mission: m });
        // live events replay everything after last_seq; with no seq given we
        // replay from the start, which the reducer absorbs idempotently
        setAfter(m.last_seq || 0);
        const optional = <T,>(p: Promise<T>) => p.catch((e) => (e instanceof ApiError && e.status !== 401 ? null : Promise.reject(e)));
        optional(api.get<C.Plan>(`/api/missions/${id}/plan`)).then((p) => alive && p && dispatch({ type: 'plan', plan: p }));
        optional(api.get<C.NoteList>(`/api/missions/${id}/notes?limit=1000`)).then((n) => alive && n && dispatch({ type: 'notes', notes: n.notes.map(normNote) }));
        optional(api.get<C.LogList>(`/api/missions/${id}/logs?limit=500`)).then((l) => alive && l && dispatch({ type: 'logs', logs: l.logs.map(normLog) }));
      })
      .catch((e) => alive && setLoadError(e));
    return () => {
      alive = false;
    };
  }, [id]);

  useChannel(after === null ? null : `mission:${id}`, after, (ev) => dispatch({ type: 'event', ev }));

  // The call record can hold calls that produced no agent_log event (a call
  // whose answer was rejected, for instance): read it again when the
  // Activity tab is opened and when the mission ends. No timer.
  const loaded = after !== null;
  const ended = !!state && isTerminal(state.mission.status);
  useEffect(() => {
    if (!loaded || (tab !== 'activity' && !ended)) return;
    let alive = true;
    api
      .get<C.LogList>(`/api/missions/${id}/logs?limit=500`)
      .then((l) => alive && dispatch({ type: 'logs', logs: l.logs.map(normLog) }))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [id, loaded, tab, ended]);
  // final counters (tokens, cost, calls) as the server totals them
  useEffect(() => {
    if (!loaded || !ended) return;
    api
      .get<C.Mission>(`/api/missions/${encodeURIComponent(id)}`)
      .then((r) => {
        const fresh = normMission(r);
        if (isTerminal(fresh.status)) dispatch({ type: 'mission', mission: fresh });
      })
      .catch(() => {});
  }, [id, loaded, ended]);

  const status = state?.mission.status ?? '';
  const running = status === 'running' || status === 'queued';
  useEffect(() => {
    if (!running) return;
    const h = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(h);
  }, [running]);

  const remove = async () => {
    if (!window.confirm(t('mission.confirmDelete'))) return;
    try {
      await api.del(`/api/missions/${id}`);
      navigate('/');
    } catch (e) {
      setActionError(e);
    }
  };

  const control = useCallback(
    async (action: string, path?: string) => {
      if (!state) return;
      if (action === 'stop' && !window.confirm(t('mission.confirmStop'))) return;
      setPending(action);
      setActionError(null);
      try {
        const m = await api.post<C.Mission>(path ?? `/api/missions/${id}/${action}`);
        dispatch({ type: 'mission', mission: { ...state.mission, status: m.status, error: m.error ?? '' } });
      } catch (e) {
        setActionError(e);
      } finally {
        setPending('');
      }
    },
    [id, state, t],
  );

  const onTabKey = (e: KeyboardEvent, i: number) => {
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = TABS.length - 1;
    if (j < 0) return;
    e.preventDefault();
    setParams({ tab: TABS[j] }, { replace: true });
    tabRefs.current[j]?.focus();
  };

  if (loadError)
    return (
      <div className="page">
        <ErrorBox error={loadError} />
        <Link to="/">{t('nav.dashboard')}</Link>
      </div>
    );
  if (!state) return <div className="page"><Spinner /></div>;

  const m = state.mission;
  const start = parseTime(m.started_at || m.created_at);
  const end = m.finished_at ? parseTime(m.finished_at) : isTerminal(m.status) ? NaN : Math.max(now, Date.now());
  const elapsed = Number.isFinite(start) && Number.isFinite(end) ? (end - start) / 1000 : NaN;
  const canPause = canWrite && (status === 'running' || status === 'queued');
  const canResume = canWrite && (status === 'paused' || status === 'failed');
  const canStop = canWrite && (status === 'running' || status === 'queued' || status === 'paused');
  const canResumeRound = canWrite && ['paused', 'stopped', 'failed', 'completed'].includes(status);

  return (
    <div className="page mission-page">
      <div className="mission-head card">
        <div className="mission-title-row">
          <div className="mission-title">
            <h1>{m.title}</h1>
            {draftId && (
              <Link to={`/missions/drafts/${draftId}`} className="small" data-testid="mission-draft-link">
                {t('rc.backToChat')}
              </Link>
            )}
            <div className="mission-sub">
              <StatusBadge status={m.status} />
              <OutcomeBadge outcome={m.outcome} />
              {m.phase && (
                <span className="phase" data-testid="mission-phase">
                  {t('mission.phase')}: <strong>{t(`phase.${m.phase}`)}</strong>
                </span>
              )}
              {m.round > 0 && <span className="muted">{t('mission.round', { n: m.round })}</span>}
              {m.offline && (
                <span className="badge badge-queued" title={t('mission.offlineHint')}>
                  {t('mission.offline')}
                </span>
              )}
              {conn === 'reconnecting' && (
                <span className="conn conn-reconnecting" role="status" data-testid="mission-reconnecting">
                  <span className="conn-dot" aria-hidden="true" />
                  {t('conn.reconnecting')}
                </span>
              )}
            </div>
          </div>
          <div className="mission-actions" role="group" aria-label={t('mission.controls')}>
            <button type="button" className="btn btn-secondary" disabled={!canPause || !!pending} onClick={() => control('pause')} data-testid="btn-pause">
              {t('mission.pause')}
            </button>
            <button type="button" className="btn btn-primary" disabled={!canResume || !!pending} onClick={() => control('resume')} data-testid="btn-resume">
              {t('mission.resume')}
            </button>
            <button type="button" className="btn btn-danger" disabled={!canStop || !!pending} onClick={() => control('stop')} data-testid="btn-stop">
              {t('mission.stop')}
            </button>
            {canWrite && isTerminal(status) && (
              <button type="button" className="btn btn-ghost danger" onClick={remove} data-testid="btn-delete">
                {t('common.delete')}
              </button>
            )}
          </div>
        </div>
        <ProgressBar value={m.progress} label={t('mission.progress')} />
        <dl className="mission-metrics">
          <div>
            <dt>{t('mission.progress')}</dt>
            <dd>{Math.round(m.progress * 100)}%</dd>
          </div>
          <div>
            <dt>{t('mission.elapsed')}</dt>
            <dd>{fmtDuration(elapsed)}</dd>
          </div>
          <div>
            <dt>{t('mission.calls')}</dt>
            <dd data-testid="metric-calls">{fmtNum(m.calls)}</dd>
          </div>
          <div>
            <dt>{t('mission.tokens')}</dt>
            <dd data-testid="metric-tokens">{fmtNum(m.tokens)}</dd>
          </div>
          <div>
            <dt>{t('mission.cost')}</dt>
            <dd>{fmtCost(m.cost)}</dd>
          </div>
          <div>
            <dt>{t('mission.created')}</dt>
            <dd>{fmtDate(m.created_at)}</dd>
          </div>
        </dl>
        {canResumeRound && (
          <form
            className="resume-round"
            onSubmit={(e) => {
              e.preventDefault();
              const n = Number(resumeRound);
              if (Number.isInteger(n) && n >= 1) control('resume-round', `/api/missions/${id}/resume-round/${n}`);
            }}
          >
            <label htmlFor="resume-round">{t('mission.resumeFromRound')}</label>
            <input id="resume-round" inputMode="numeric" value={resumeRound} onChange={(e) => setResumeRound(e.target.value)} size={4} />
            <button type="submit" className="btn btn-secondary btn-sm" disabled={!/^\d+$/.test(resumeRound) || Number(resumeRound) < 1 || !!pending}>
              {t('mission.resume')}
            </button>
          </form>
        )}
        <ErrorBox error={actionError} onClose={() => setActionError(null)} />
        {m.error && !state.errors.includes(m.error) && <Notice kind="warn">{m.error}</Notice>}
        {state.errors.length > 0 && (
          <div className="alert alert-error" role="alert">
            {state.errors[state.errors.length - 1]}
          </div>
        )}
        {m.warnings.length > 0 && (
          <div className="mission-warnings" role="status" data-testid="mission-warnings">
            <h2>{t('mission.warnings', { n: m.warnings.length })}</h2>
            <ul>
              {m.warnings.map((w, i) => (
                <li key={`${w.code}-${w.section_id ?? ''}-${w.round ?? ''}-${i}`}>
                  {w.message}
                  {(w.section_id || w.round) && (
                    <span className="muted small">
                      {' '}
                      ({[w.section_id && sectionTitle(state.plan?.sections ?? [], w.section_id), w.round ? t('mission.round', { n: w.round }) : ''].filter(Boolean).join(', ')})
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>

      <div className="tabs" role="tablist" aria-label={t('mission.views')}>
        {TABS.map((k, i) => (
          <button
            key={k}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            role="tab"
            id={`tab-${k}`}
            aria-selected={tab === k}
            aria-controls={`panel-${k}`}
            tabIndex={tab === k ? 0 : -1}
            className={`tab${tab === k ? ' active' : ''}`}
            onClick={() => setParams({ tab: k }, { replace: true })}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t(`mission.tab.${k}`)}
            {k === 'notes' && state.notes.length > 0 && <span className="count">{state.notes.length}</span>}
            {k === 'activity' && state.logs.length > 0 && <span className="count">{state.logs.length}</span>}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'plan' && (
          <PlanTab
            missionId={id}
            plan={state.plan}
            analysis={m.raw?.analysis}
            editable={canWrite && status === 'paused'}
            onSaved={(p) => dispatch({ type: 'plan', plan: p, force: true })}
          />
        )}
        {tab === 'activity' && <ActivityTab missionId={id} logs={state.logs} onDetails={(l) => dispatch({ type: 'logs', logs: l })} />}
        {tab === 'notes' && <NotesTab notes={state.notes} plan={state.plan} />}
        {tab === 'report' && <ReportTab missionId={id} mission={m} notes={state.notes} reportVersion={state.reportVersion} draftVersion={state.draftVersion} />}
      </div>
    </div>
  );
}
