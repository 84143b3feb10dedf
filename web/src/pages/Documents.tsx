/*
 * The library page: passage search, the upload drop zone, the filtered list
 * of documents with its bulk actions, and the reader, metadata and groups
 * dialogs. The parts live in components/documents/; this file composes them
 * and holds what they share: the selection and the document being viewed or
 * edited.
 */
import { useEffect, useState } from 'react';
import { api, normDoc, type Doc } from '../lib/api';
import type * as C from '../lib/contract';
import { useI18n } from '../lib/i18n';
import { useAuth } from '../lib/auth';
import { useGroups } from '../lib/groups';
import { ErrorBox, Spinner } from '../components/ui';
import { BulkBar } from '../components/documents/BulkBar';
import { DocEditModal } from '../components/documents/DocEditModal';
import { DocTextModal } from '../components/documents/DocTextModal';
import { DocumentFilters } from '../components/documents/DocumentFilters';
import { DocumentTable } from '../components/documents/DocumentTable';
import { GroupsModal } from '../components/documents/GroupsModal';
import { SearchBox } from '../components/documents/SearchBox';
import { UploadPanel } from '../components/documents/UploadPanel';
import { useDocumentFilters, useDocuments } from '../components/documents/useDocuments';

export { DocEditModal, splitList } from '../components/documents/DocEditModal';
export { highlight } from '../components/documents/DocTextModal';

export function DocumentsPage() {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const { groups, reload: reloadGroups } = useGroups();
  const filters = useDocumentFilters();
  const { filter } = filters;
  const { docs, setDocs, total, hasMore, error, setError, reload, loadMore, noteStatus } = useDocuments(filter, filters.sort, filters.typing);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [bulkNote, setBulkNote] = useState('');
  const [lastQuery, setLastQuery] = useState('');
  const [viewing, setViewing] = useState<Doc | null>(null);
  const [editing, setEditing] = useState<Doc | null>(null);
  const [groupsOpen, setGroupsOpen] = useState(false);

  const clearSelection = () => {
    setSelected(new Set());
    setAllMatching(false);
  };
  useEffect(clearSelection, [filter]);

  const shown = docs ?? [];
  const allSelected = shown.length > 0 && shown.every((d) => selected.has(d.id));

  const del = async (d: Doc) => {
    if (!window.confirm(t('docs.confirmDelete', { name: d.title || d.filename }))) return;
    try {
      await api.del(`/api/documents/${d.id}`);
      setDocs((l) => (l ?? []).filter((x) => x.id !== d.id));
    } catch (e) {
      setError(e);
    }
  };
  const reprocess = async (d: Doc) => {
    try {
      await api.post(`/api/documents/${d.id}/reprocess`);
      noteStatus(d.id, 'queued');
      setDocs((l) => (l ?? []).map((x) => (x.id === d.id ? { ...x, status: 'queued', error: '' } : x)));
    } catch (e) {
      setError(e);
    }
  };
  /* one action on the selection, or on every document matching the filters */
  const bulk = async (action: string, gid = '') => {
    const n = allMatching ? total ?? shown.length : selected.size;
    if (n === 0) return;
    if (action === 'delete' && !window.confirm(t('docs.confirmBulkDelete', { n }))) return;
    try {
      const body: Record<string, unknown> = { action, ...(allMatching ? { filter } : { document_ids: [...selected] }) };
      if (gid) body.group_id = gid;
      const r = await api.post<C.BulkReply>('/api/documents/bulk', body);
      setBulkNote(t('docs.bulkDone', { done: r.done, n: r.matched }));
      clearSelection();
      reloadGroups();
      void reload();
    } catch (e) {
      setError(e);
    }
  };
  /* an upload's documents go on top at once; the list is read again when the batch is over */
  const added = (fresh: Doc[]) =>
    setDocs((list) => {
      const cur = list ?? [];
      return [...fresh.filter((a) => a.id && !cur.some((c) => c.id === a.id)), ...cur];
    });

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('docs.title')}</h1>
        <button type="button" className="btn btn-secondary" onClick={() => setGroupsOpen(true)} data-testid="groups-open">
          {t('docs.manageGroups')} ({groups.length})
        </button>
      </div>

      <SearchBox groups={groups} onSearched={setLastQuery} onOpen={(id) => setViewing(shown.find((d) => d.id === id) ?? normDoc({ id, filename: id, status: 'ready' }))} />

      {canWrite && <UploadPanel groups={groups} onAdded={added} onFinished={() => void reload()} />}

      <section className="card">
        <DocumentFilters values={filters.values} onChange={filters.set} sort={filters.sort} onSort={filters.setSort} groups={groups} />
        {selected.size > 0 && canWrite && (
          <BulkBar
            count={allMatching ? total ?? shown.length : selected.size}
            canAll={allSelected && (total ?? 0) > shown.length}
            allMatching={allMatching}
            total={total ?? shown.length}
            onAll={setAllMatching}
            groups={groups}
            onAction={bulk}
            onClear={clearSelection}
          />
        )}
        {bulkNote && (
          <p className="muted small" role="status" data-testid="bulk-note">
            {bulkNote}
          </p>
        )}
        <ErrorBox error={error} onClose={() => setError(null)} />
        {docs === null ? (
          <Spinner />
        ) : shown.length === 0 ? (
          <div className="empty" data-testid="docs-empty">
            <p>{docs.length === 0 && Object.keys(filter).length === 0 ? t('docs.empty') : t('docs.noMatch')}</p>
          </div>
        ) : (
          <DocumentTable docs={shown} groups={groups} selected={selected} onSelect={setSelected} onView={setViewing} onEdit={setEditing} onReprocess={reprocess} onDelete={del} />
        )}
        {hasMore && docs && (
          <div className="load-more">
            <button type="button" className="btn btn-secondary" onClick={loadMore}>
              {t('common.loadMore')}
            </button>
            {total !== null && <span className="muted small">{t('common.shownOf', { n: docs.length, total })}</span>}
          </div>
        )}
      </section>
      {viewing && <DocTextModal doc={viewing} query={lastQuery} onClose={() => setViewing(null)} />}
      {editing && (
        <DocEditModal
          doc={editing}
          onClose={() => setEditing(null)}
          onSaved={(d) => {
            setDocs((l) => (l ?? []).map((x) => (x.id === d.id ? d : x)));
            setEditing(null);
          }}
        />
      )}
      {groupsOpen && (
        <GroupsModal
          groups={groups}
          onClose={() => setGroupsOpen(false)}
          onChanged={() => {
            reloadGroups();
            void reload();
          }}
        />
      )}
    </div>
  );
}
