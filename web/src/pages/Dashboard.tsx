import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, normMission, type Mission, type Stats } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { ErrorBox, OutcomeBadge, ProgressBar, Spinner, StatusBadge, fmtCost, fmtDuration } from '../components/ui';
import { live } from '../lib/live';
import { applyEvent, initialMissionState } from '../lib/missionState';

const ACTIVE = new Set(['queued', 'running', 'paused']);

export function DashboardPage() {
  const { t, fmtDate, fmtNum } = useI18n();
  const { canWrite } = useAuth();
  const nav = useNavigate();
  const [missions, setMissions] = useState<Mission[] | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    let alive = true;
    api
      .get<C.MissionList>('/api/missions?limit=100')
      .then((r) => alive && setMissions(r.missions.map(normMission)))
      .catch((e) => alive && (setError(e), setMissions([])));
    api
      .get<C.Stats>('/api/stats')
      .then((r) => alive && setStats(r))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);

  // active missions stay current through their live channels (no polling)
  const activeKey = (missions ?? [])
    .filter((m) => ACTIVE.has(m.status))
    .slice(0, 25)
    .map((m) => `${m.id}:${m.last_seq}`)
    .join(',');
  useEffect(() => {
    if (!activeKey) return;
    const offs = activeKey.split(',').map((k) => {
      const i = k.lastIndexOf(':');
      const id = k.slice(0, i);
      return live.subscribe(`mission:${id}`, Number(k.slice(i + 1)) || 0, (ev) => {
        if (!['status', 'phase', 'stats', 'progress'].includes(ev.event)) return;
        setMissions((list) => (list ?? []).map((m) => (m.id === id ? applyEvent({ ...initialMissionState(m), lastSeq: 0 }, { ...ev, seq: 0 }).mission : m)));
      });
    });
    return () => offs.forEach((off) => off());
  }, [activeKey]);

  const shown = (missions ?? []).filter((m) => !filter || m.status === filter || (filter === 'active' && ['running', 'queued', 'paused'].includes(m.status)));

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('dash.title')}</h1>
        {canWrite && (
          <Link to="/missions/new" className="btn btn-primary">
            + {t('nav.newMission')}
          </Link>
        )}
      </div>
      <section className="stats-grid" aria-label={t('dash.stats')}>
        <StatCard label={t('dash.total')} value={stats ? fmtNum(stats.total_missions) : '—'} />
        <StatCard label={t('dash.active')} value={stats ? fmtNum(stats.active_missions) : '—'} />
        <StatCard label={t('dash.completed')} value={stats ? fmtNum(stats.completed_missions) : '—'} />
        <StatCard label={t('dash.avgTime')} value={stats && stats.avg_completion_time ? fmtDuration(stats.avg_completion_time) : '—'} />
      </section>
      <ErrorBox error={error} />
      {missions === null ? (
        <Spinner />
      ) : missions.length === 0 ? (
        <div className="empty card" data-testid="empty-state">
          <h2>{t('dash.emptyTitle')}</h2>
          <p>{t('dash.emptyText')}</p>
          <ol className="empty-steps">
            <li>
              <Link to="/settings">{t('dash.step1')}</Link>
            </li>
            <li>
              <Link to="/documents">{t('dash.step2')}</Link>
            </li>
            <li>
              <Link to="/missions/new">{t('dash.step3')}</Link>
            </li>
          </ol>
        </div>
      ) : (
        <section className="card">
          <div className="toolbar">
            <h2>{t('dash.missions')}</h2>
            <label className="inline-field">
              <span>{t('common.filter')}</span>
              <select value={filter} onChange={(e) => setFilter(e.target.value)}>
                <option value="">{t('common.all')}</option>
                <option value="active">{t('dash.activeOnly')}</option>
                {['running', 'paused', 'completed', 'failed', 'stopped', 'queued'].map((s) => (
                  <option key={s} value={s}>
                    {t(`status.${s}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="table-wrap">
            <table className="table missions-table">
              <thead>
                <tr>
                  <th>{t('mission.title')}</th>
                  <th>{t('mission.status')}</th>
                  <th className="col-progress">{t('mission.progress')}</th>
                  <th>{t('mission.created')}</th>
                  <th>{t('mission.finished')}</th>
                  <th className="num">{t('mission.tokens')}</th>
                  <th className="num">{t('mission.cost')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((m) => (
                  <tr key={m.id} className="clickable" onClick={() => nav(`/missions/${m.id}`)}>
                    <td>
                      <Link to={`/missions/${m.id}`} onClick={(e) => e.stopPropagation()}>
                        {m.title}
                      </Link>
                      {m.phase && <div className="muted small">{t(`phase.${m.phase}`)}</div>}
                    </td>
                    <td>
                      <StatusBadge status={m.status} /> <OutcomeBadge outcome={m.outcome} />
                    </td>
                    <td className="col-progress">
                      <ProgressBar value={m.progress} label={t('mission.progress')} />
                      <span className="small muted">{Math.round(m.progress * 100)}%</span>
                    </td>
                    <td className="nowrap">{fmtDate(m.created_at)}</td>
                    <td className="nowrap">{m.finished_at ? fmtDate(m.finished_at) : '—'}</td>
                    <td className="num">{fmtNum(m.tokens)}</td>
                    <td className="num">{fmtCost(m.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}

function StatCard({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat card">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
