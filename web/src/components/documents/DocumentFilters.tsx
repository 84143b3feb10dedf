import type { Group } from '../../lib/api';
import { useI18n } from '../../lib/i18n';
import { GroupSelect } from '../GroupSelect';
import type { FilterKey, FilterValues } from './useDocuments';

const STATUSES = ['queued', 'processing', 'ready', 'failed'];
const TYPES = ['pdf', 'docx', 'html', 'md', 'txt'];

/** The filter toolbar of the library: text, status, type, author, venue, years, sort order and group. */
export function DocumentFilters({
  values,
  onChange,
  sort,
  onSort,
  groups,
}: {
  values: FilterValues;
  onChange: (k: FilterKey, v: string) => void;
  sort: string;
  onSort: (s: string) => void;
  groups: Group[];
}) {
  const { t } = useI18n();
  return (
    <div className="toolbar filters">
      <input type="search" placeholder={t('docs.filterText')} aria-label={t('docs.filterText')} value={values.text} onChange={(e) => onChange('text', e.target.value)} />
      <label className="inline-field">
        <span>{t('docs.status')}</span>
        <select value={values.status} onChange={(e) => onChange('status', e.target.value)} data-testid="docs-status-filter">
          <option value="">{t('common.all')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-field">
        <span>{t('docs.type')}</span>
        <select value={values.type} onChange={(e) => onChange('type', e.target.value)} data-testid="docs-type-filter">
          <option value="">{t('common.all')}</option>
          {TYPES.map((x) => (
            <option key={x} value={x}>
              {x.toUpperCase()}
            </option>
          ))}
        </select>
      </label>
      <input type="search" placeholder={t('docs.filterAuthor')} aria-label={t('docs.filterAuthor')} value={values.author} onChange={(e) => onChange('author', e.target.value)} data-testid="docs-author-filter" />
      <input type="search" placeholder={t('docs.filterVenue')} aria-label={t('docs.filterVenue')} value={values.venue} onChange={(e) => onChange('venue', e.target.value)} />
      <label className="inline-field">
        <span>{t('docs.years')}</span>
        <input className="year-input" inputMode="numeric" placeholder="1990" aria-label={t('docs.yearFrom')} value={values.yearFrom} onChange={(e) => onChange('yearFrom', e.target.value)} data-testid="docs-year-from" />
        <span>–</span>
        <input className="year-input" inputMode="numeric" placeholder="2025" aria-label={t('docs.yearTo')} value={values.yearTo} onChange={(e) => onChange('yearTo', e.target.value)} data-testid="docs-year-to" />
      </label>
      <label className="inline-field">
        <span>{t('docs.sort')}</span>
        <select value={sort} onChange={(e) => onSort(e.target.value)} data-testid="docs-sort">
          <option value="added">{t('docs.sortAdded')}</option>
          <option value="title">{t('docs.sortTitle')}</option>
          <option value="year">{t('docs.sortYear')}</option>
        </select>
      </label>
      <label className="inline-field">
        <span>{t('docs.group')}</span>
        <GroupSelect groups={groups} value={values.group} onChange={(g) => onChange('group', g)} emptyLabel={t('common.all')} />
      </label>
    </div>
  );
}
