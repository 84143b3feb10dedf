import { useCallback, useEffect, useMemo, useState, type MouseEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, ApiError, downloadFile, getStoredUser, type Mission, type Note } from '../../lib/api';
import type * as C from '../../lib/contract';
import { diffLines, type DiffOp } from '../../lib/writing';
import { DiffView } from '../Writing';
import { useI18n } from '../../lib/i18n';
import { parseReferences, referencesFromJson, type Reference } from '../../lib/markdown';
import { renderWithMath, resolveFootnotes } from '../../lib/writing';
import { CitationPanel, type CitationView, type CitedNote } from '../../components/CitationPanel';
import { ErrorBox, Spinner } from '../../components/ui';
import { SaveSourcesButton } from './SaveSources';

interface Version {
  version: number;
  created_at: string;
  label: string;
  author?: string;
  edited_by?: string;
}
function normVersions(r: C.ReportVersions): Version[] {
  return r.versions
    .map((v) => ({ version: v.version, created_at: v.created_at, label: '', author: v.author || undefined, edited_by: v.edited_by ?? undefined }))
    .sort((a, b) => b.version - a.version);
}

/** Find the note that backs a reference: same URL, same document, or same title. */
export function noteForReference(ref: Reference, notes: Note[]): Note | undefined {
  if (ref.note_id) {
    const byId = notes.find((n) => n.id === ref.note_id);
    if (byId) return byId;
  }
  if (ref.url) {
    const byUrl = notes.find((n) => n.url && (n.url === ref.url || ref.text.includes(n.url)));
    if (byUrl) return byUrl;
  }
  if (ref.document_id) {
    const byDoc = notes.find((n) => n.document_id === ref.document_id && (!ref.page || n.page === ref.page));
    if (byDoc) return byDoc;
  }
  const text = ref.text.toLowerCase();
  return notes.find((n) => n.source && n.source.length > 3 && text.includes(n.source.toLowerCase()));
}

/**
 * The notes behind the k-th `[n]` of the text (0-based): those cited at that
 * spot first, in citation order, then the source's other notes.
 */
export function citedNotes(ref: Reference | undefined, k: number, notes: Note[]): CitedNote[] {
  if (!ref) return [];
  const here = ref.cites?.[k] ?? [];
  const ids = [...here, ...(ref.notes ?? []).filter((id) => !here.includes(id))];
  if (!ids.length && ref.note_id) ids.push(ref.note_id);
  const out: CitedNote[] = [];
  for (const id of ids) {
    const n = notes.find((x) => x.id === id);
    if (n) out.push({ id, quote: n.quote, content: n.content, page: n.page, credibility: n.credibility, cited: here.includes(id) || (!here.length && id === ids[0]) });
  }
  return out;
}

const FORMATS = ['md', 'html', 'pdf', 'docx'];

export function ReportTab({ missionId, mission, notes, reportVersion, draftVersion }: { missionId: string; mission: Mission; notes: Note[]; reportVersion: number; draftVersion: number }) {
  const { t, fmtDate } = useI18n();
  const [versions, setVersions] = useState<Version[]>([]);
  const [version, setVersion] = useState<number | null>(null);
  const [md, setMd] = useState<string | null>(null);
  const [json, setJson] = useState<C.ReportJson | null>(null);
  const [isDraft, setIsDraft] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [cite, setCite] = useState<CitationView | null>(null);
  const [formats, setFormats] = useState<string[]>(FORMATS);
  const canWrite = getStoredUser()?.role !== 'viewer';
  const nav = useNavigate();
  const [editText, setEditText] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [edits, setEdits] = useState(0);
  const [compare, setCompare] = useState<{ from: number; to: number } | null>(null);
  const [diffOps, setDiffOps] = useState<DiffOp[] | null>(null);

  // versions: reload when a new report is announced
  useEffect(() => {
    api
      .get<C.ReportVersions>(`/api/missions/${missionId}/report/versions`)
      .then((r) => {
        const v = normVersions(r);
        setVersions(v);
        setFormats(r.formats);
        setVersion((cur) => (cur === null || reportVersion ? (v[0]?.version ?? null) : cur));
      })
      .catch(() => setVersions([]));
  }, [missionId, reportVersion, edits]);

  useEffect(() => {
    if (!compare) return;
    Promise.all([compare.from, compare.to].map((v) => api.get<C.ReportJson>(`/api/missions/${missionId}/report?format=json&version=${v}`)))
      .then(([a, b]) => setDiffOps(diffLines(a.markdown, b.markdown)))
      .catch(setError);
  }, [missionId, compare]);

  const saveEdit = async () => {
    if (editText === null) return;
    setSaving(true);
    setError(null);
    try {
      const r = await api.put<C.ReportSaved>(`/api/missions/${missionId}/report`, { content: editText });
      setEditText(null);
      setVersion(r.version);
      setEdits((n) => n + 1);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  const continueInWriting = async () => {
    setError(null);
    try {
      const r = await api.post<C.Session>(`/api/missions/${missionId}/writing`, {});
      nav(`/writing/${r.id}`);
    } catch (e) {
      setError(e);
    }
  };
  const byWhom = (v: Version) => (v.author === 'user' ? t('report.by.user', { name: v.edited_by ?? '' }) : v.author ? t('report.by.agent') : '');

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const v = version ? `&version=${version}` : '';
      // JSON carries the reference list with note ids
      const body = await api.get<C.ReportJson>(`/api/missions/${missionId}/report?format=json${v}`);
      setMd(body.markdown);
      setJson(body);
      setFormats(body.formats);
      setIsDraft(false);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 409)) {
        // no report yet: show the current draft if there is one
        try {
          const text = (await api.get<C.MissionDraft>(`/api/missions/${missionId}/draft`)).markdown;
          setMd(text || null);
          setIsDraft(!!text);
        } catch {
          setMd(null);
        }
        setJson(null);
      } else setError(e);
    } finally {
      setLoading(false);
    }
  }, [missionId, version]);

  useEffect(() => {
    void load();
  }, [load, reportVersion, draftVersion]);

  const refs = useMemo(() => {
    const fromJson = referencesFromJson(json?.meta.references ?? []);
    const parsed = parseReferences(md ?? '');
    for (const [n, r] of parsed) if (!fromJson.has(n)) fromJson.set(n, r);
    return fromJson;
  }, [md, json]);

  // footnotes a user added in an edit are numbered as the exports number
  // them; the verifier's [^vN] keep their marks with the reason on hover
  const html = useMemo(
    () =>
      md
        ? renderWithMath(
            resolveFootnotes(md, (label) => /^v\d+$/.test(label)),
            { known: refs.size ? new Set(refs.keys()) : undefined },
          )
        : '',
    [md, refs],
  );

  const onClick = (e: MouseEvent) => {
    const a = (e.target as HTMLElement).closest('a[data-cite]');
    if (!a) return;
    e.preventDefault();
    const n = Number(a.getAttribute('data-cite'));
    const ref = refs.get(n);
    // which [n] of the text this is: the report says which notes each one cites
    const root = a.closest('[data-testid="report-body"]');
    const k = root ? Array.from(root.querySelectorAll(`a[data-cite="${n}"]`)).indexOf(a) : -1;
    const list = citedNotes(ref, k, notes);
    const first = list.length ? notes.find((x) => x.id === list[0].id) : undefined;
    const note = first ?? (ref ? noteForReference(ref, notes) : undefined);
    const details = ref && ref.kind === 'document' ? [ref.filename, ref.authors, ref.year].filter(Boolean).join(', ') : ref?.authors || '';
    setCite({
      n,
      title: ref?.title || note?.source || '',
      text: ref?.text || '',
      quote: ref?.quote || note?.quote || '',
      url: ref?.url || note?.url || '',
      page: list.length > 1 ? '' : ref?.page && ref.page !== '0' ? ref.page : note?.page || '',
      details: details || undefined,
      notes: list.length ? list : undefined,
      extra: !list.length && note && note.credibility ? `${t('notes.credibility')} ${note.credibility}/10` : undefined,
    });
  };

  const record = json?.meta.record;
  const counters = mission.raw.counters;
  const verification =
    (record ? { checked: record.checked, supported: record.supported } : undefined) ??
    mission.raw.verification ??
    (counters && counters.checked > 0 ? { checked: counters.checked, supported: counters.supported } : undefined);
  const slug = (mission.title || 'report').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || 'report';

  const download = async (fmt: string) => {
    setError(null);
    try {
      await downloadFile(`/api/missions/${missionId}/report?format=${fmt}${version ? `&version=${version}` : ''}`, `${slug}${version ? `-v${version}` : ''}.${fmt}`);
    } catch (e) {
      setError(e);
    }
  };

  if (loading && md === null) return <Spinner />;

  return (
    <div className={`report-tab${cite ? ' with-panel' : ''}`}>
      <div className="toolbar">
        {versions.length > 0 && (
          <label className="inline-field">
            <span>{t('report.version')}</span>
            <select value={version ?? ''} onChange={(e) => setVersion(Number(e.target.value))} data-testid="report-version">
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                  {v.created_at ? ` · ${fmtDate(v.created_at)}` : ''}
                  {v.label ? ` · ${v.label}` : ''}
                  {byWhom(v) ? ` · ${byWhom(v)}` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        {isDraft && <span className="badge badge-queued">{t('report.draft')}</span>}
        <span className="spacer" />
        {md && !isDraft && (
          <div className="downloads" role="group" aria-label={t('report.download')}>
            <span className="muted small">{t('report.download')}</span>
            {formats.map((f) => (
              <button key={f} type="button" className="btn btn-secondary btn-sm" onClick={() => download(f)} data-testid={`download-${f}`}>
                {f.toUpperCase()}
              </button>
            ))}
          </div>
        )}
        {md && !isDraft && <SaveSourcesButton missionId={missionId} notes={notes} />}
        {md && !isDraft && canWrite && editText === null && (
          <>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setEditText(md)} data-testid="report-edit">
              {t('report.edit')}
            </button>
            <button type="button" className="btn btn-primary btn-sm" onClick={continueInWriting} data-testid="report-continue">
              {t('report.continue')}
            </button>
          </>
        )}
        {versions.length > 1 && (
          <button type="button" className="btn btn-secondary btn-sm" onClick={() => (compare ? setCompare(null) : setCompare({ from: versions[1].version, to: versions[0].version }))} aria-expanded={!!compare} data-testid="report-compare">
            {t('report.compare')}
          </button>
        )}
      </div>
      {compare && (
        <section className="card versions-panel" data-testid="report-versions-diff">
          <div className="toolbar">
            {(['from', 'to'] as const).map((k) => (
              <label key={k} className="inline-field">
                <span>{t(k === 'from' ? 'writing.diffFrom' : 'writing.diffTo')}</span>
                <select value={compare[k]} onChange={(e) => setCompare({ ...compare, [k]: Number(e.target.value) })}>
                  {versions.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version}
                      {byWhom(v) ? ` · ${byWhom(v)}` : ''}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          {diffOps && <DiffView ops={diffOps} testid="report-diff" />}
        </section>
      )}
      {editText !== null && (
        <section className="card report-editor" aria-label={t('report.edit')}>
          <textarea value={editText} onChange={(e) => setEditText(e.target.value)} aria-label={t('report.edit')} data-testid="report-editor" />
          <div className="row-actions">
            <button type="button" className="btn btn-primary btn-sm" onClick={saveEdit} disabled={saving || !editText.trim()} data-testid="report-save">
              {t('report.saveEdit')}
            </button>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setEditText(null)}>
              {t('report.cancelEdit')}
            </button>
          </div>
        </section>
      )}
      <ErrorBox error={error} onClose={() => setError(null)} />
      {verification && typeof verification === 'object' && (
        <dl className="verification" aria-label={t('report.verification')}>
          {Object.entries(verification)
            .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
            .map(([k, v]) => (
              <div key={k}>
                <dt>{t(`verify.${k}`)}</dt>
                <dd>{typeof v === 'number' && v > 0 && v < 1 ? `${Math.round(v * 100)}%` : String(v)}</dd>
              </div>
            ))}
        </dl>
      )}
      {!md ? (
        <div className="empty">
          <p>{t('report.notReady')}</p>
        </div>
      ) : (
        <div className="report-layout">
          <article className="markdown card" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} data-testid="report-body" />
          <CitationPanel cite={cite} onClose={() => setCite(null)} />
        </div>
      )}
    </div>
  );
}
