import { describe, it, expect } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/react';
import { I18nProvider, LanguageSwitch, LANG_KEY, translate, useI18n, dictionaries } from './i18n';

function Probe() {
  const { t } = useI18n();
  return (
    <div>
      <h1>{t('dash.title')}</h1>
      <p data-testid="vars">{t('mission.round', { n: 3 })}</p>
      <LanguageSwitch />
    </div>
  );
}

describe('i18n', () => {
  it('Korean has every English key, with no empty strings', () => {
    const missing = Object.keys(dictionaries.en).filter((k) => !dictionaries.ko[k]);
    expect(missing).toEqual([]);
    const extra = Object.keys(dictionaries.ko).filter((k) => !(k in dictionaries.en));
    expect(extra).toEqual([]);
  });

  it('placeholders in both languages match', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) || []).sort().join();
    const bad = Object.keys(dictionaries.en).filter((k) => ph(dictionaries.en[k]) !== ph(dictionaries.ko[k]));
    expect(bad).toEqual([]);
  });

  it('switches language, re-renders and remembers the choice', () => {
    render(
      <I18nProvider lang="en">
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByRole('heading').textContent).toBe('Dashboard');
    expect(screen.getByTestId('vars').textContent).toBe('Round 3');
    fireEvent.change(screen.getByTestId('lang-select'), { target: { value: 'ko' } });
    expect(screen.getByRole('heading').textContent).toBe('대시보드');
    expect(screen.getByTestId('vars').textContent).toBe('3라운드');
    expect(localStorage.getItem(LANG_KEY)).toBe('ko');
    expect(document.documentElement.lang).toBe('ko');
  });

  it('starts in the remembered language', () => {
    localStorage.setItem(LANG_KEY, 'ko');
    render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByRole('heading').textContent).toBe('대시보드');
  });

  it('shows raw values for unknown dynamic keys and the key for unknown static ones', () => {
    expect(translate('ko', 'status.running')).toBe('실행 중');
    expect(translate('ko', 'phase.deep_dive')).toBe('deep dive');
    expect(translate('en', 'nope.key')).toBe('nope.key');
  });
});
