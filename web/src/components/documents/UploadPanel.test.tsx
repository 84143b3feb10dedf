/*
 * Uploading from the drop zone against a fake XMLHttpRequest: each file is
 * listed with its outcome, the group chosen goes with the file, a file the
 * server refuses (4xx, or "failed" in its reply) shows the server's reason,
 * and a duplicate is said.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/react';
import { I18nProvider } from '../../lib/i18n';
import { normGroup, storeSession, type Doc } from '../../lib/api';
import { apiError, group, uploaded, uploadReply, user } from '../../test/fixtures';
import { UploadPanel } from './UploadPanel';

/* what the fake server answers for a file name */
let answer: (name: string) => { status: number; body: unknown };
const sent: { name: string; group: string | null }[] = [];

class FakeXHR {
  status = 0;
  responseText = '';
  upload: { onprogress: ((e: Pick<ProgressEvent, 'lengthComputable' | 'loaded' | 'total'>) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open() {}
  setRequestHeader() {}
  abort() {}
  send(fd: FormData) {
    const f = fd.get('files') as File;
    sent.push({ name: f.name, group: fd.get('group_id') as string | null });
    const a = answer(f.name);
    setTimeout(() => {
      this.upload.onprogress?.({ lengthComputable: true, loaded: 1, total: 2 });
      this.status = a.status;
      this.responseText = JSON.stringify(a.body);
      this.onload?.();
    }, 0);
  }
}

const GROUPS = [normGroup(group({ id: 'g1', name: 'Physics' })), normGroup(group({ id: 'g2', name: 'Biology' }))];

beforeEach(() => {
  sent.length = 0;
  vi.stubGlobal('XMLHttpRequest', FakeXHR);
  storeSession('tok', user());
});
afterEach(() => vi.unstubAllGlobals());

function renderPanel(lang: 'en' | 'ko' = 'en') {
  const onAdded = vi.fn<(docs: Doc[]) => void>();
  const onFinished = vi.fn<() => void>();
  render(
    <I18nProvider lang={lang}>
      <UploadPanel groups={GROUPS} onAdded={onAdded} onFinished={onFinished} />
    </I18nProvider>,
  );
  return { onAdded, onFinished };
}

const file = (name: string) => new File(['some text'], name, { type: 'text/plain' });
const item = (name: string) => screen.getByText(name).closest('li') as HTMLElement;

describe('upload panel', () => {
  it('sends each file into the chosen group and says how each went, with the server message for a refused one', async () => {
    answer = (name) =>
      name === 'huge.pdf'
        ? { status: 413, body: apiError('payload_too_large', 'huge.pdf is larger than the limit of 50 MB (MAX_UPLOAD_MB)') }
        : name === 'again.txt'
          ? { status: 202, body: uploadReply(uploaded({ id: 'd2', filename: name, status: 'ready', duplicate: true })) }
          : { status: 202, body: uploadReply(uploaded({ id: 'd1', filename: name })) };
    const { onAdded, onFinished } = renderPanel();
    fireEvent.change(screen.getByLabelText('Into group'), { target: { value: 'g2' } });
    fireEvent.change(screen.getByTestId('file-input'), { target: { files: [file('notes.txt'), file('huge.pdf'), file('again.txt')] } });
    await waitFor(() => expect(onFinished).toHaveBeenCalled());
    expect(sent.map((s) => s.group)).toEqual(['g2', 'g2', 'g2']);
    expect(within(item('huge.pdf')).getByText('huge.pdf is larger than the limit of 50 MB (MAX_UPLOAD_MB)')).toBeTruthy();
    expect(item('huge.pdf').className).toContain('upload-error');
    expect(within(item('notes.txt')).getByText('Uploaded')).toBeTruthy();
    expect(within(item('again.txt')).getByText('Already in the library')).toBeTruthy();
    /* the documents the server created reach the list at once; the refused file adds none */
    expect(onAdded.mock.calls.flatMap(([docs]) => docs.map((d) => d.id)).sort()).toEqual(['d1', 'd2']);
    /* a next batch keeps the failure in view, not the files that went through */
    fireEvent.change(screen.getByTestId('file-input'), { target: { files: [file('more.txt')] } });
    await waitFor(() => expect(onFinished).toHaveBeenCalledTimes(2));
    expect(screen.queryByText('notes.txt')).toBeNull();
    expect(screen.getByText('huge.pdf')).toBeTruthy();
    expect(within(item('more.txt')).getByText('Uploaded')).toBeTruthy();
    /* "Clear finished" empties the list once nothing is on its way */
    fireEvent.click(screen.getByRole('button', { name: 'Clear finished' }));
    expect(screen.queryByText('huge.pdf')).toBeNull();
    expect(screen.queryByText('more.txt')).toBeNull();
  });

  it('without a group chosen sends none, and a file the server takes in but cannot keep is a failure with its reason (Korean)', async () => {
    answer = (name) =>
      name === 'scan.pdf'
        ? { status: 202, body: uploadReply(uploaded({ filename: name, status: 'failed', error: 'cannot store scan.pdf: No space left on device' })) }
        : { status: 202, body: uploadReply(uploaded({ id: 'd3', filename: name })) };
    const { onFinished } = renderPanel('ko');
    expect(screen.getByText('넣을 그룹')).toBeTruthy();
    fireEvent.change(screen.getByTestId('file-input'), { target: { files: [file('scan.pdf'), file('memo.txt')] } });
    await waitFor(() => expect(onFinished).toHaveBeenCalled());
    expect(sent).toEqual([
      { name: 'scan.pdf', group: null },
      { name: 'memo.txt', group: null },
    ]);
    expect(within(item('scan.pdf')).getByText('cannot store scan.pdf: No space left on device')).toBeTruthy();
    expect(item('scan.pdf').className).toContain('upload-error');
    expect(within(item('memo.txt')).getByText('업로드됨')).toBeTruthy();
    expect(item('memo.txt').className).not.toContain('upload-error');
  });
});
