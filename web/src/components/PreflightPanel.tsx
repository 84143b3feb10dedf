import { Link } from 'react-router-dom';
import type { Preflight } from '../lib/api';
import { useI18n } from '../lib/i18n';

/** Problems fixed on the Settings page, and on the Documents page. */
const SETTINGS_CODES = ['no_model', 'model_unreachable', 'no_web_provider', 'web_settings_invalid', 'web_unreachable', 'no_scholarly_provider', 'scholarly_settings_invalid'];
const DOCUMENT_CODES = ['no_documents', 'documents_not_ready'];

/**
 * What a mission will have, from POST /api/missions/preflight: the model (or
 * offline), documents in scope, web search, then the server's problems and
 * warnings in plain words with their fixes. When the sources can give
 * nothing it offers the "start anyway" box (the request's allow_empty).
 */
export function PreflightPanel({
  pf,
  checking,
  allowEmpty,
  onAllowEmpty,
}: {
  pf: Preflight | null;
  checking?: boolean;
  allowEmpty: boolean;
  onAllowEmpty: (v: boolean) => void;
}) {
  const { t } = useI18n();
  if (!pf) return checking ? <div className="preflight card muted small">{t('pf.checking')}</div> : null;
  const mid = pf.models?.mid;
  const d = pf.documents;
  const w = pf.web;
  const sc = pf.scholarly;
  const problems = pf.problems ?? [];
  const warnings = pf.warnings ?? [];
  const kind = pf.empty ? 'error' : problems.length ? 'warn' : 'success';
  // an empty mission: what happened to each source (not ticked is not broken)
  const emptyWhy = () =>
    t('pf.noSources', {
      docs: t(d?.requested ? 'pf.empty.docs' : 'pf.empty.docsOff'),
      web: t(!w?.requested ? 'pf.empty.webOff' : w.configured ? 'pf.empty.webDown' : 'pf.empty.webNone'),
      scholarly: t(sc?.requested ? 'pf.empty.scholarly' : 'pf.empty.scholarlyOff'),
    });
  return (
    <section className={`preflight alert alert-${kind}`} data-testid="preflight" aria-live="polite">
      <strong>{t('pf.title')}</strong>
      {checking && <span className="muted small"> {t('pf.checking')}</span>}
      <ul className="preflight-have">
        <li data-testid="pf-model">
          {pf.mode === 'model' && mid
            ? t('pf.model', { model: mid.model, source: t(`pf.source.${mid.source}`) })
            : t('pf.offline')}
        </li>
        <li data-testid="pf-docs">{d?.requested ? t('pf.docs', { n: d.in_scope, ready: d.ready }) : t('pf.docsOff')}</li>
        <li data-testid="pf-web">
          {!w?.requested
            ? t('pf.webOff')
            : !w.configured
              ? t('pf.webNone')
              : w.reachable === false
                ? t('pf.webDown', { provider: w.provider ?? '' })
                : t('pf.web', { provider: w.provider ?? '' })}
        </li>
        {sc?.requested && (
          <li data-testid="pf-scholarly">
            {sc.providers.length ? t('pf.scholarly', { providers: sc.providers.map((n) => t(`pf.scholar.${n}`)).join(', ') }) : t('pf.scholarlyNone')}
          </li>
        )}
      </ul>
      {problems.length > 0 && (
        <ul className="preflight-problems" data-testid="pf-problems">
          {problems.map((p) => (
            <li key={p.code} data-code={p.code}>
              {p.code === 'no_sources' ? emptyWhy() : p.message}
              {p.fix && (
                <span className="preflight-fix">
                  {' '}
                  <em>{t('pf.fix')}</em> {p.fix}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="preflight-warnings muted small">
          {warnings.map((p) => (
            <li key={p.code} data-code={p.code}>
              {p.message} {p.fix}
            </li>
          ))}
        </ul>
      )}
      {problems.length === 0 && <div>{t('pf.ready')}</div>}
      {(problems.some((p) => SETTINGS_CODES.includes(p.code)) || problems.some((p) => DOCUMENT_CODES.includes(p.code))) && (
        <div className="preflight-links">
          {problems.some((p) => SETTINGS_CODES.includes(p.code)) && <Link to="/settings">{t('pf.openSettings')}</Link>}{' '}
          {problems.some((p) => DOCUMENT_CODES.includes(p.code)) && <Link to="/documents">{t('pf.openDocuments')}</Link>}
        </div>
      )}
      {pf.empty && (
        <label className="check">
          <input type="checkbox" checked={allowEmpty} onChange={(e) => onAllowEmpty(e.target.checked)} data-testid="pf-allow-empty" /> {t('pf.allowEmpty')}
        </label>
      )}
    </section>
  );
}
