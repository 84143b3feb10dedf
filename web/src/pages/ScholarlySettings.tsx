/*
 * Scholarly search settings (arXiv, OpenAlex, Crossref, Semantic Scholar,
 * PubMed). They live in the same "search" settings document as the web
 * providers (members scholarly_providers, contact_email, *_api_key), which the
 * Settings page keeps in SettingsForm.searchExtra; this editor reads and
 * writes those members only. Keys come back from the server as the mask and
 * are sent back unchanged unless the user types a new one ("" clears).
 */
import { useI18n } from '../lib/i18n';
import { Field } from '../components/ui';

export const SCHOLARLY_PROVIDERS = ['arxiv', 'openalex', 'crossref', 'semantic_scholar', 'pubmed'] as const;
export const SCHOLARLY_KEYS = ['openalex_api_key', 'semantic_scholar_api_key', 'pubmed_api_key'] as const;
const MASK = '********';

export interface ScholarlyFields {
  providers: string[];
  contact_email: string;
  openalex_api_key: string;
  semantic_scholar_api_key: string;
  pubmed_api_key: string;
}

/** The scholarly members of a "search" settings document. */
export function scholarlyFields(doc: Record<string, unknown>): ScholarlyFields {
  const p = doc.scholarly_providers;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    providers: Array.isArray(p) ? p.map(String) : typeof p === 'string' && p ? p.split(',').map((x) => x.trim()) : [],
    contact_email: str(doc.contact_email),
    openalex_api_key: str(doc.openalex_api_key),
    semantic_scholar_api_key: str(doc.semantic_scholar_api_key),
    pubmed_api_key: str(doc.pubmed_api_key),
  };
}

/** doc with the scholarly members replaced by v (unset ones removed, except
 * a key the user cleared, sent as "" so the server drops it). */
export function withScholarly(doc: Record<string, unknown>, v: ScholarlyFields): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  delete out.scholarly_providers;
  delete out.contact_email;
  if (v.providers.length) out.scholarly_providers = v.providers;
  if (v.contact_email.trim()) out.contact_email = v.contact_email.trim();
  for (const k of SCHOLARLY_KEYS) {
    if (v[k] !== '' || typeof doc[k] === 'string') out[k] = v[k];
    delete out[`${k}_set`];
  }
  return out;
}

export function validContactEmail(e: string): boolean {
  return e.trim() === '' || /^[^\s@&?#]+@[^\s@&?#]+\.[^\s@&?#]+$/.test(e.trim());
}

export function ScholarlyEditor({ doc, onChange }: { doc: Record<string, unknown>; onChange: (doc: Record<string, unknown>) => void }) {
  const { t } = useI18n();
  const v = scholarlyFields(doc);
  const set = (nv: ScholarlyFields) => onChange(withScholarly(doc, nv));
  const toggle = (p: string, on: boolean) => set({ ...v, providers: on ? [...v.providers.filter((x) => x !== p), p] : v.providers.filter((x) => x !== p) });
  const emailOk = validContactEmail(v.contact_email);
  return (
    <fieldset className="endpoint" data-testid="endpoint-scholarly">
      <div className="field">
        <span className="label">{t('settings.scholarlyProviders')}</span>
        <div className="check-row">
          {SCHOLARLY_PROVIDERS.map((p) => (
            <label key={p} className="check">
              <input type="checkbox" checked={v.providers.includes(p)} onChange={(e) => toggle(p, e.target.checked)} /> {t(`settings.scholarly.${p}`)}
            </label>
          ))}
        </div>
        <div className="hint">{t('settings.scholarlyProvidersHint')}</div>
      </div>
      <div className="grid-3">
        <Field label={t('settings.contactEmail')} htmlFor="s-contact-email" hint={t('settings.contactEmailHint')} error={emailOk ? undefined : 'settings.contactEmailInvalid'}>
          <input id="s-contact-email" type="email" value={v.contact_email} onChange={(e) => set({ ...v, contact_email: e.target.value })} placeholder="you@example.org" />
        </Field>
        {SCHOLARLY_KEYS.map((k) => (
          <Field key={k} label={t(`settings.${k}`)} htmlFor={`s-${k}`} hint={v[k].startsWith(MASK) ? t('settings.keyStored') : undefined}>
            <input id={`s-${k}`} type="password" autoComplete="off" value={v[k]} onChange={(e) => set({ ...v, [k]: e.target.value })} />
          </Field>
        ))}
      </div>
    </fieldset>
  );
}
