import { useState, type FormEvent } from 'react';
import { api, ApiError, normDoc, type Doc } from '../../lib/api';
import type * as C from '../../lib/contract';
import { useI18n } from '../../lib/i18n';
import { ErrorBox, Field, Modal } from '../ui';

/** Splits a list typed by the user ("A; B", one per line, or "a, b" for keywords). */
export function splitList(s: string, commas: boolean): string[] {
  return s
    .split(commas ? /[;,\n]/ : /[;\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

const META_FIELDS = ['title', 'authors', 'year', 'venue', 'doi', 'arxiv_id', 'abstract', 'keywords', 'language'] as const;
type MetaField = (typeof META_FIELDS)[number];

/** The bibliographic record of a document: every field editable; PATCH validates and names a bad field. */
export function DocEditModal({ doc, onClose, onSaved }: { doc: Doc; onClose: () => void; onSaved: (d: Doc) => void }) {
  const { t } = useI18n();
  const [initial] = useState<Record<MetaField, string>>(() => ({
    title: doc.title || '',
    authors: doc.author_list.length ? doc.author_list.join('; ') : doc.authors,
    year: doc.year,
    venue: doc.venue,
    doi: doc.doi,
    arxiv_id: doc.arxiv_id,
    abstract: doc.abstract,
    keywords: doc.keywords.join('; '),
    language: doc.language,
  }));
  const [v, setV] = useState<Record<MetaField, string>>(initial);
  const [error, setError] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Partial<Record<MetaField, string>>>({});
  const [busy, setBusy] = useState(false);
  const set = (f: MetaField) => (e: { target: { value: string } }) => setV((o) => ({ ...o, [f]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const year = v.year.trim();
    if (year && !/^\d{4}$/.test(year)) {
      setFieldErr({ year: 'v.year' });
      return;
    }
    if (!v.title.trim()) {
      setFieldErr({ title: 'docs.titleRequired' });
      return;
    }
    setFieldErr({});
    setError(null);
    setBusy(true);
    try {
      /* only what changed: a field sent becomes the user's and is kept when the document is processed again */
      const value: Record<MetaField, unknown> = {
        title: v.title.trim(),
        authors: splitList(v.authors, false),
        year: year ? Number(year) : null,
        venue: v.venue.trim(),
        doi: v.doi.trim(),
        arxiv_id: v.arxiv_id.trim(),
        abstract: v.abstract.trim(),
        keywords: splitList(v.keywords, true),
        language: v.language.trim(),
      };
      const body: Record<string, unknown> = {};
      for (const f of META_FIELDS) if (v[f].trim() !== initial[f].trim()) body[f] = value[f];
      if (Object.keys(body).length === 0) {
        onClose();
        return;
      }
      onSaved(normDoc(await api.patch<C.Document>(`/api/documents/${doc.id}`, body)));
    } catch (err) {
      const field = (err instanceof ApiError ? err.body?.error?.field : undefined) as MetaField | undefined;
      if (err instanceof ApiError && field && (META_FIELDS as readonly string[]).includes(field)) setFieldErr({ [field]: err.message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  /* "from the first page", "from the PDF's XMP" ... for fields the user has not edited */
  const hint = (f: MetaField, base?: string) => {
    const src = doc.meta_sources[f];
    const from = src && src !== 'user' ? t('docs.fromSource', { src: t(`docs.src.${src}`) === `docs.src.${src}` ? src : t(`docs.src.${src}`) }) : '';
    return [base, from].filter(Boolean).join(' · ') || undefined;
  };
  const input = (f: MetaField, label: string, extra: Record<string, unknown> = {}, base?: string) => (
    <Field label={label} htmlFor={`d-${f}`} error={fieldErr[f]} hint={hint(f, base)}>
      <input id={`d-${f}`} value={v[f]} onChange={set(f)} aria-invalid={!!fieldErr[f]} {...extra} />
    </Field>
  );
  return (
    <Modal title={t('docs.editMeta')} onClose={onClose} wide>
      <form onSubmit={submit} className="form" noValidate>
        {input('title', t('docs.metaTitle'))}
        {input('authors', t('docs.authors'), {}, t('docs.authorsHint'))}
        <div className="grid-2">
          {input('year', t('docs.year'), { inputMode: 'numeric' })}
          {input('language', t('docs.language'), { placeholder: 'en' })}
        </div>
        {input('venue', t('docs.venue'))}
        <div className="grid-2">
          {input('doi', t('docs.doi'), { placeholder: '10.1234/abc' })}
          {input('arxiv_id', t('docs.arxiv'), { placeholder: '2101.00001' })}
        </div>
        {input('keywords', t('docs.keywords'), {}, t('docs.keywordsHint'))}
        <Field label={t('docs.abstract')} htmlFor="d-abstract" error={fieldErr.abstract} hint={hint('abstract')}>
          <textarea id="d-abstract" rows={5} value={v.abstract} onChange={set('abstract')} />
        </Field>
        <ErrorBox error={error} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
