import { describe, it, expect } from 'vitest';
import { endpointBody, formToSettings, settingsToForm, MASK } from './Settings';

const server = {
  models: {
    fast: { provider: 'ollama', base_url: 'http://127.0.0.1:11434', model: 'qwen2.5:3b' },
    mid: { base_url: 'https://api.example/v1', model: 'm', api_key: MASK, api_key_set: true, temperature: 0.2 },
  },
  search: { providers: ['searxng'], searxng_url: 'http://127.0.0.1:8888', tavily_api_key: MASK, timeout_seconds: 20 },
  research: { max_rounds: 3, max_passes: 1, language: 'ko', custom: 'kept' },
  effective: { fast: { configured: true, provider: 'ollama', base_url: 'http://127.0.0.1:11434', model: 'qwen2.5:3b' }, embedding: { configured: false, reason: 'no model' } },
};

describe('settings form', () => {
  it('reads the server document', () => {
    const f = settingsToForm(server);
    expect(f.models.fast).toMatchObject({ provider: 'ollama', model: 'qwen2.5:3b' });
    expect(f.models.mid.api_key).toBe(MASK);
    expect(f.models.rerank.base_url).toBe('');
    expect(f.defaults).toMatchObject({ max_rounds: '3', max_passes: '1', language: 'ko' });
    expect(f.effective.embedding).toMatchObject({ configured: false, reason: 'no model' });
    expect(f.search.providers).toEqual(['searxng']);
  });

  it('writes back only the three sections, only fields that are set, and keeps masked keys', () => {
    const orig = settingsToForm(server);
    const f = structuredClone(orig);
    f.models.verifier.model = 'big-model';
    f.models.mid.max_tokens = '4096';
    f.defaults.max_rounds = '4';
    const body = formToSettings(f, orig);
    expect(Object.keys(body).sort()).toEqual(['models', 'research', 'search']);
    expect(body.models.verifier).toEqual({ model: 'big-model' });
    expect(body.models.mid).toEqual({ base_url: 'https://api.example/v1', model: 'm', api_key: MASK, temperature: 0.2, max_tokens: 4096 });
    expect(body.models.embedding).toBeUndefined();
    expect(body.research).toMatchObject({ max_rounds: 4, max_passes: 1, language: 'ko', custom: 'kept' });
    expect(body.search).toEqual({ providers: ['searxng'], searxng_url: 'http://127.0.0.1:8888', tavily_api_key: MASK, timeout_seconds: 20 });
  });

  it('a cleared key is sent as "" so the server removes it; a new key is sent', () => {
    const orig = settingsToForm(server);
    const f = structuredClone(orig);
    f.models.mid.api_key = '';
    f.models.fast.api_key = 'sk-new';
    const body = formToSettings(f, orig);
    expect(body.models.mid.api_key).toBe('');
    expect(body.models.fast.api_key).toBe('sk-new');
  });

  it('a connection test never sends the mask', () => {
    const orig = settingsToForm(server);
    expect(endpointBody(orig.models.mid, orig.models.mid, true)).toEqual({ base_url: 'https://api.example/v1', model: 'm', temperature: 0.2 });
  });
});
