/*
 * "Save sources to library": POST /api/missions/{id}/save-sources stores the
 * web pages and papers the mission's notes come from as documents of one
 * group ("Sources: <mission title>"). Shown only when some note has a URL.
 */
import { useState } from 'react';
import { api, type Note } from '../../lib/api';
import { useI18n } from '../../lib/i18n';

export function SaveSourcesButton({ missionId, notes }: { missionId: string; notes: Note[] }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');
  if (!notes.some((n) => n.url)) return null;
  const save = async () => {
    setBusy(true);
    setMsg('');
    try {
      const r = await api.post<{ group_name: string; documents: unknown[]; failed: unknown[] }>(`/api/missions/${missionId}/save-sources`, {});
      setMsg(t('report.sourcesSaved').replace('{n}', String(r.documents?.length ?? 0)).replace('{group}', r.group_name ?? ''));
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="save-sources">
      <button type="button" className="btn btn-secondary btn-sm" onClick={save} disabled={busy} data-testid="save-sources">
        {t('report.saveSources')}
      </button>
      {msg && (
        <span className="muted small" role="status">
          {' '}
          {msg}
        </span>
      )}
    </span>
  );
}
