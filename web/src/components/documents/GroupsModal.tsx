import { useState } from 'react';
import { api, type Group } from '../../lib/api';
import { useI18n } from '../../lib/i18n';
import { useAuth } from '../../lib/auth';
import { ErrorBox, Modal } from '../ui';

/** Create, rename and delete the user's document groups. */
export function GroupsModal({ groups, onClose, onChanged }: { groups: Group[]; onClose: () => void; onChanged: () => void }) {
  const { t } = useI18n();
  const { canWrite } = useAuth();
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<string>('');
  const [newName, setNewName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal title={t('docs.groupsTitle')} onClose={onClose}>
      {canWrite && (
        <form
          className="row-input"
          onSubmit={(e) => {
            e.preventDefault();
            if (!name.trim()) return;
            void run(() => api.post('/api/groups', { name: name.trim() })).then(() => setName(''));
          }}
        >
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={t('docs.newGroup')} aria-label={t('docs.newGroup')} data-testid="group-name" />
          <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
            {t('common.create')}
          </button>
        </form>
      )}
      <ErrorBox error={error} />
      {groups.length === 0 ? (
        <p className="muted">{t('docs.noGroupsYet')}</p>
      ) : (
        <ul className="group-list">
          {groups.map((g) => (
            <li key={g.id}>
              {renaming === g.id ? (
                <form
                  className="row-input"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (!newName.trim()) return;
                    void run(() => api.patch(`/api/groups/${g.id}`, { name: newName.trim() })).then(() => setRenaming(''));
                  }}
                >
                  <input value={newName} onChange={(e) => setNewName(e.target.value)} aria-label={t('docs.rename')} autoFocus />
                  <button type="submit" className="btn btn-primary btn-sm">
                    {t('common.save')}
                  </button>
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => setRenaming('')}>
                    {t('common.cancel')}
                  </button>
                </form>
              ) : (
                <div className="group-row">
                  <span className="group-name">{g.name}</span>
                  <span className="muted small">{t('docs.nDocs', { n: g.document_count })}</span>
                  {canWrite && (
                    <>
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        onClick={() => {
                          setRenaming(g.id);
                          setNewName(g.name);
                        }}
                      >
                        {t('docs.rename')}
                      </button>
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm danger"
                        onClick={() => window.confirm(t('docs.confirmDeleteGroup', { name: g.name })) && void run(() => api.del(`/api/groups/${g.id}`))}
                      >
                        {t('common.delete')}
                      </button>
                    </>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">{t('docs.groupsHint')}</p>
    </Modal>
  );
}
