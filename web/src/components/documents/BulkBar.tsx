import { useState } from 'react';
import type { Group } from '../../lib/api';
import { useI18n } from '../../lib/i18n';
import { GroupSelect } from '../GroupSelect';

/** The actions on the selected documents (or on every document matching the filters). */
export function BulkBar({
  count,
  canAll,
  allMatching,
  total,
  onAll,
  groups,
  onAction,
  onClear,
}: {
  count: number;
  canAll: boolean;
  allMatching: boolean;
  total: number;
  onAll: (on: boolean) => void;
  groups: Group[];
  onAction: (action: string, gid?: string) => void;
  onClear: () => void;
}) {
  const { t } = useI18n();
  const [gid, setGid] = useState('');
  return (
    <div className="bulk-bar" role="region" aria-label={t('docs.bulk')} data-testid="bulk-bar">
      <span>{t('docs.selectedN', { n: count })}</span>
      {(canAll || allMatching) && (
        <button type="button" className="btn-link small" onClick={() => onAll(!allMatching)} data-testid="bulk-all">
          {allMatching ? t('docs.onlyPage') : t('docs.allMatching', { n: total })}
        </button>
      )}
      <GroupSelect groups={groups} value={gid} onChange={setGid} emptyLabel={t('docs.pickGroup')} aria-label={t('docs.group')} />
      <button type="button" className="btn btn-secondary btn-sm" disabled={!gid} onClick={() => onAction('add_to_group', gid)}>
        {t('docs.addToGroup')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" disabled={!gid} onClick={() => onAction('remove_from_group', gid)}>
        {t('docs.removeFromGroup')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => onAction('reprocess')} data-testid="bulk-reprocess">
        {t('docs.bulkReprocess')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => onAction('reembed')}>
        {t('docs.reembed')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => onAction('cancel')}>
        {t('docs.cancelQueued')}
      </button>
      <button type="button" className="btn btn-secondary btn-sm danger" onClick={() => onAction('delete')} data-testid="bulk-delete">
        {t('common.delete')}
      </button>
      <button type="button" className="btn-link small" onClick={onClear}>
        {t('common.clear')}
      </button>
    </div>
  );
}
