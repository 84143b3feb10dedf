/*
 * Uploads of many files at once: a few at a time (PARALLEL), each with its
 * progress, and the server's word on each (done, a duplicate, or why it was
 * refused). Items stay listed until cleared; a new batch drops the files
 * that went through and keeps the failures in view.
 */
import { useState } from 'react';
import { uploadFile, type Doc } from '../../lib/api';
import { useI18n } from '../../lib/i18n';
import { errorText } from '../ui';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  /** 0..1 */
  progress: number;
  state: 'waiting' | 'uploading' | 'done' | 'error';
  /** why the file was refused, in the server's words when it gave some */
  error: string;
  /** "already in the library" for a duplicate */
  note?: string;
}

const PARALLEL = 3;

/**
 * onAdded: the documents the server created for one file, as soon as it answers;
 * onFinished: once the whole batch is over (the list is read again then).
 */
export function useUpload(onAdded: (docs: Doc[]) => void, onFinished: () => void) {
  const { t } = useI18n();
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const start = (files: File[], groupId: string) => {
    if (!files.length) return;
    const items: UploadItem[] = files.map((f, i) => ({ key: `${Date.now()}-${i}-${f.name}`, name: f.name, size: f.size, progress: 0, state: 'waiting', error: '' }));
    setUploads((u) => [...items, ...u.filter((x) => x.state === 'uploading' || x.state === 'waiting' || x.state === 'error')]);
    const queue = files.map((f, i) => ({ f, key: items[i].key }));
    const patch = (key: string, p: Partial<UploadItem>) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, ...p } : x)));
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const { f, key } = job;
        patch(key, { state: 'uploading' });
        try {
          const added = await uploadFile(f, groupId || null, (p) => patch(key, { progress: p })).promise;
          // the server may accept the request but refuse the file itself
          const refused = added.find((a) => a.status === 'failed' || !a.id);
          if (refused) patch(key, { state: 'error', error: refused.error || t('upload.error') });
          else patch(key, { state: 'done', progress: 1, note: added.some((a) => a.raw?.duplicate) ? t('upload.duplicate') : '' });
          onAdded(added);
        } catch (e) {
          patch(key, { state: 'error', error: errorText(e, t) });
        }
      }
    };
    void Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker)).then(onFinished);
  };
  const clearFinished = () => setUploads((l) => l.filter((x) => x.state === 'uploading' || x.state === 'waiting'));
  return { uploads, start, clearFinished };
}
