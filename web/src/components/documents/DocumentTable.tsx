import type { Doc, Group } from '../../lib/api';
import { useI18n } from '../../lib/i18n';
import { useAuth } from '../../lib/auth';
import { ProgressBar, StatusBadge } from '../ui';

export interface RowActions {
  onView: (d: Doc) => void;
  onEdit: (d: Doc) => void;
  onReprocess: (d: Doc) => void;
  onDelete: (d: Doc) => void;
}

/** The library's documents, one row each, with selection checkboxes for those who may change them. */
export function DocumentTable({
  docs,
  groups,
  selected,
  onSelect,
  ...actions
}: {
  docs: Doc[];
  groups: Group[];
  selected: Set<string>;
  onSelect: (ids: Set<string>) => void;
} & RowActions) {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const allSelected = docs.length > 0 && docs.every((d) => selected.has(d.id));
  const toggle = (id: string) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    onSelect(s);
  };
  const groupName = (id: string) => groups.find((g) => g.id === id)?.name ?? id;
  return (
    <div className="table-wrap">
      <table className="table docs-table">
        <thead>
          <tr>
            {canWrite && (
              <th className="col-check">
                <input type="checkbox" aria-label={t('docs.selectAll')} checked={allSelected} onChange={() => onSelect(allSelected ? new Set() : new Set(docs.map((d) => d.id)))} />
              </th>
            )}
            <th>{t('docs.name')}</th>
            <th>{t('docs.status')}</th>
            <th>{t('docs.type')}</th>
            <th>{t('docs.groups')}</th>
            <th>{t('docs.added')}</th>
            <th className="col-actions">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {docs.map((d) => (
            <DocumentRow key={d.id} doc={d} groupNames={d.group_ids.map(groupName).join(', ')} checked={selected.has(d.id)} onToggle={() => toggle(d.id)} {...actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DocumentRow({ doc: d, groupNames, checked, onToggle, onView, onEdit, onReprocess, onDelete }: { doc: Doc; groupNames: string; checked: boolean; onToggle: () => void } & RowActions) {
  const { t, fmtDate } = useI18n();
  const { canWrite } = useAuth();
  return (
    <tr data-testid="doc-row" data-status={d.status}>
      {canWrite && (
        <td className="col-check">
          <input type="checkbox" aria-label={t('docs.select', { name: d.filename })} checked={checked} onChange={onToggle} />
        </td>
      )}
      <td>
        <div className="doc-name">{d.title || d.filename}</div>
        {d.title && d.title !== d.filename && <div className="muted small">{d.filename}</div>}
        {(d.authors || d.year || d.venue) && <div className="muted small">{[d.authors, d.venue, d.year].filter(Boolean).join(', ')}</div>}
        {d.doi && (
          <div className="muted small">
            <a href={`https://doi.org/${encodeURI(d.doi)}`} target="_blank" rel="noreferrer noopener">
              doi:{d.doi}
            </a>
          </div>
        )}
      </td>
      <td>
        <StatusBadge status={d.status} />
        {(d.status === 'processing' || d.status === 'queued') && d.progress !== undefined && d.progress > 0 && (
          <div className="doc-progress">
            <ProgressBar value={d.progress} label={d.filename} />
            {d.stage && <span className="muted small">{t(`stage.${d.stage}`)}</span>}
          </div>
        )}
        {d.error && <div className="field-error small">{d.error}</div>}
      </td>
      <td>{d.type.toUpperCase()}</td>
      <td className="small">{groupNames || '—'}</td>
      <td className="nowrap small">{fmtDate(d.created_at)}</td>
      <td className="col-actions">
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => onView(d)} disabled={d.status !== 'ready'}>
          {t('docs.view')}
        </button>
        {canWrite && (
          <>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => onEdit(d)}>
              {t('common.edit')}
            </button>
            {d.status === 'failed' && (
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => onReprocess(d)}>
                {t('docs.reprocess')}
              </button>
            )}
            <button type="button" className="btn btn-ghost btn-sm danger" onClick={() => onDelete(d)}>
              {t('common.delete')}
            </button>
          </>
        )}
      </td>
    </tr>
  );
}
