import { useMemo, useState } from 'react';
import { api, normLog, type LogEntry } from '../../lib/api';
import type * as C from '../../lib/contract';
import { useI18n } from '../../lib/i18n';
import { ErrorBox, fmtCost } from '../../components/ui';

/** What a call is about: section, round, query, how much evidence it read. */
export function LogContext({ l }: { l: LogEntry }) {
  const { t } = useI18n();
  const parts = [
    l.section_title && !l.action.includes(l.section_title) ? `${t('activity.section')}: ${l.section_title}` : '',
    l.round ? t('mission.round', { n: l.round }) : '',
    l.query ? `${t('activity.query')}: “${l.query.length > 80 ? `${l.query.slice(0, 77)}…` : l.query}”` : '',
    l.passages ? t('activity.passagesN', { n: l.passages }) : '',
    l.notes ? t('activity.notesN', { n: l.notes }) : '',
  ].filter(Boolean);
  if (!parts.length) return null;
  return <span className="log-context muted small">{parts.join(' · ')}</span>;
}

export function ActivityTab({ missionId, logs, onDetails }: { missionId: string; logs: LogEntry[]; onDetails: (l: LogEntry[]) => void }) {
  const { t, fmtNum, fmtDate } = useI18n();
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [loading, setLoading] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [agent, setAgent] = useState('');

  const agents = useMemo(() => [...new Set(logs.map((l) => l.agent).filter(Boolean))].sort(), [logs]);
  const shown = useMemo(() => [...logs].reverse().filter((l) => !agent || l.agent === agent), [logs, agent]);

  const toggle = async (l: LogEntry) => {
    const next = new Set(open);
    if (next.has(l.id)) {
      next.delete(l.id);
      setOpen(next);
      return;
    }
    next.add(l.id);
    setOpen(next);
    if (l.detailed || l.in_flight) return;
    setLoading(l.id);
    setError(null);
    try {
      const detail = normLog(await api.get<C.LogRecord>(`/api/missions/${missionId}/logs/${encodeURIComponent(l.id)}`));
      onDetails([{ ...detail, id: l.id }]);
    } catch (e) {
      setError(e);
    } finally {
      setLoading('');
    }
  };

  if (logs.length === 0) return <div className="empty"><p>{t('activity.empty')}</p></div>;

  return (
    <div className="activity-tab">
      <div className="toolbar">
        <label className="inline-field">
          <span>{t('activity.agent')}</span>
          <select value={agent} onChange={(e) => setAgent(e.target.value)}>
            <option value="">{t('common.all')}</option>
            {agents.map((a) => (
              <option key={a} value={a}>
                {t(`agent.${a}`)}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{t('activity.count', { n: shown.length })}</span>
      </div>
      <ErrorBox error={error} />
      <ul className="log-list">
        {shown.map((l) => {
          const isOpen = open.has(l.id);
          return (
            <li key={l.id} className={`log-item${isOpen ? ' open' : ''}${l.in_flight ? ' in-flight' : ''}`}>
              <button type="button" className="log-head" aria-expanded={isOpen} onClick={() => toggle(l)}>
                <span className="log-caret" aria-hidden="true">
                  {isOpen ? '▾' : '▸'}
                </span>
                <span className={`agent-tag agent-${l.agent}`}>{t(`agent.${l.agent}`)}</span>
                <span className="log-action">
                  {l.action || '—'}
                  <LogContext l={l} />
                </span>
                <span className="log-meta">
                  {l.in_flight && (
                    <span className="log-live" data-testid="log-in-flight">
                      <span className="conn-dot" aria-hidden="true" />
                      {t('activity.inFlight')}
                    </span>
                  )}
                  {l.error && !l.in_flight && (
                    <span className="log-failed" title={l.error}>
                      {/cancel/i.test(l.error) ? t('activity.cancelled') : t('activity.failed')}
                    </span>
                  )}
                  {l.cached && <span>{t('activity.cached')}</span>}
                  {l.model && <span>{l.model}</span>}
                  {l.tokens > 0 && <span>{t('activity.tokensN', { n: fmtNum(l.tokens) })}</span>}
                  {l.duration_ms > 0 && <span>{(l.duration_ms / 1000).toFixed(1)}s</span>}
                </span>
              </button>
              {isOpen && (
                <div className="log-body">
                  <dl className="kv">
                    <dt>{t('activity.model')}</dt>
                    <dd>{l.model || '—'}</dd>
                    <dt>{t('mission.tokens')}</dt>
                    <dd>
                      {fmtNum(l.tokens)}
                      {(l.prompt_tokens > 0 || l.completion_tokens > 0) && (
                        <span className="muted">
                          {' '}
                          ({fmtNum(l.prompt_tokens)} + {fmtNum(l.completion_tokens)})
                        </span>
                      )}
                    </dd>
                    <dt>{t('mission.cost')}</dt>
                    <dd>{fmtCost(l.cost)}</dd>
                    <dt>{t('activity.duration')}</dt>
                    <dd>{l.duration_ms ? `${(l.duration_ms / 1000).toFixed(2)}s` : '—'}</dd>
                    {l.ts && (
                      <>
                        <dt>{t('activity.time')}</dt>
                        <dd>{fmtDate(l.ts)}</dd>
                      </>
                    )}
                  </dl>
                  {loading === l.id && <p className="muted">{t('common.loading')}</p>}
                  <h4>{t('activity.prompt')}</h4>
                  <pre className="code-block">{l.prompt || t('activity.noPrompt')}</pre>
                  <h4>{t('activity.response')}</h4>
                  <pre className="code-block">{l.response || (l.in_flight ? t('activity.inFlight') : l.error ? t('activity.noAnswer', { error: l.error }) : t('activity.noResponse'))}</pre>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
