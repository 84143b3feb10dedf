import { useRef, useState, type DragEvent } from 'react';
import type { Doc, Group } from '../../lib/api';
import { useI18n } from '../../lib/i18n';
import { ProgressBar, fmtBytes } from '../ui';
import { GroupSelect } from '../GroupSelect';
import { useUpload } from './useUpload';

const ACCEPT = '.pdf,.docx,.txt,.md,.markdown,.html,.htm';

/** The drop zone: files dropped or chosen are uploaded, optionally into a group, each with its progress. */
export function UploadPanel({ groups, onAdded, onFinished }: { groups: Group[]; onAdded: (docs: Doc[]) => void; onFinished: () => void }) {
  const { t } = useI18n();
  const [group, setGroup] = useState('');
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const { uploads, start, clearFinished } = useUpload(onAdded, onFinished);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    start(Array.from(e.dataTransfer.files || []), group);
  };
  return (
    <section
      className={`dropzone card${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      aria-label={t('docs.upload')}
      data-testid="dropzone"
    >
      <p className="dz-title">{t('docs.dropHere')}</p>
      <p className="muted small">{t('docs.formats')}</p>
      <div className="dz-actions">
        <button type="button" className="btn btn-primary" onClick={() => fileInput.current?.click()}>
          {t('docs.chooseFiles')}
        </button>
        <label className="inline-field">
          <span>{t('docs.intoGroup')}</span>
          <GroupSelect groups={groups} value={group} onChange={setGroup} emptyLabel={t('docs.noGroup')} />
        </label>
      </div>
      <input
        ref={fileInput}
        type="file"
        multiple
        accept={ACCEPT}
        hidden
        data-testid="file-input"
        onChange={(e) => {
          start(Array.from(e.target.files || []), group);
          e.target.value = '';
        }}
      />
      {uploads.length > 0 && (
        <ul className="upload-list" aria-live="polite">
          {uploads.map((u) => (
            <li key={u.key} className={`upload upload-${u.state}`}>
              <span className="upload-name">{u.name}</span>
              <span className="muted small">{fmtBytes(u.size)}</span>
              <ProgressBar value={u.progress} label={u.name} />
              <span className="small">{u.state === 'error' ? u.error : u.note || t(`upload.${u.state}`)}</span>
            </li>
          ))}
          <li>
            <button type="button" className="btn-link small" onClick={clearFinished}>
              {t('docs.clearFinished')}
            </button>
          </li>
        </ul>
      )}
    </section>
  );
}
