/*
 * A small i18n layer: two dictionaries (English is the reference, Korean must
 * have every key — a test checks that), `t(key, vars)` with {name}
 * placeholders, and the choice remembered in localStorage.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en } from './locales/en';
import { ko } from './locales/ko';

export type Lang = 'en' | 'ko';
export type Dict = Record<string, string>;
export const dictionaries: Record<Lang, Dict> = { en, ko };
export const LANG_KEY = 'maestro.lang';
const DYNAMIC = new Set(['status', 'phase', 'role', 'agent', 'conn', 'doc', 'event', 'verify', 'stage', 'tone', 'length', 'schedule']);

export function translate(lang: Lang, key: string, vars?: Record<string, string | number>): string {
  let s = dictionaries[lang][key] ?? dictionaries.en[key];
  if (s === undefined) {
    // dynamic keys (a status or phase the server added later) show the raw value
    const dot = key.indexOf('.');
    s = dot > 0 && DYNAMIC.has(key.slice(0, dot)) ? key.slice(dot + 1).replace(/_/g, ' ') : key;
  }
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'ko') return saved;
  } catch {
    /* no storage */
  }
  if (typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith('ko')) return 'ko';
  return 'en';
}

interface I18nValue {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: string, vars?: Record<string, string | number>) => string;
  fmtDate: (iso: string) => string;
  fmtNum: (n: number, digits?: number) => string;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children, lang: forced }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(forced ?? initialLang());
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(LANG_KEY, l);
    } catch {
      /* ignore */
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18nValue>(() => {
    const locale = lang === 'ko' ? 'ko-KR' : 'en-US';
    return {
      lang,
      setLang,
      t: (k, v) => translate(lang, k, v),
      fmtDate: (iso) => {
        if (!iso) return '—';
        const d = new Date(/^\d+$/.test(iso) ? Number(iso) * (iso.length <= 10 ? 1000 : 1) : iso);
        return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
      },
      fmtNum: (n, digits = 0) => n.toLocaleString(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }),
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang-switch">
      <span className="sr-only">{t('common.language')}</span>
      <select aria-label={t('common.language')} value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang-select">
        <option value="en">English</option>
        <option value="ko">한국어</option>
      </select>
    </label>
  );
}
