/*
 * The Settings page's two scopes against a fake API: an admin switches to the
 * server defaults (read from and saved to /api/admin/settings), a researcher
 * never sees the switch, and each tier says where its value comes from.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { SettingsPage } from './Settings';

let role = 'admin';
const calls: { method: string; url: string; body: any }[] = [];

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

function fakeFetch(url: string, init?: RequestInit) {
  const method = init?.method ?? 'GET';
  const body = init?.body ? JSON.parse(String(init.body)) : undefined;
  calls.push({ method, url, body });
  if (url === '/api/auth/me') return reply(200, { id: 'u1', username: 'ann', role });
  if (url === '/api/settings')
    return reply(200, { models: {}, search: {}, research: {}, effective: { mid: { configured: true, model: 'shared-model', source: 'server' } } });
  if (url === '/api/admin/settings' && method === 'GET') return reply(200, { models: { default: { model: 'shared-model', base_url: 'http://llm/v1' } }, search: {}, research: {}, registration_open: false });
  if (url === '/api/admin/settings' && method === 'PUT') return reply(200, { ...body, registration_open: false });
  return reply(404, { error: { code: 'not_found', message: url } });
}

beforeEach(() => {
  calls.length = 0;
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
});
afterEach(() => vi.unstubAllGlobals());

function renderPage() {
  storeSession('tok', { id: 'u1', username: 'ann', role: role as any });
  return render(
    <I18nProvider lang="en">
      <AuthProvider>
        <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <SettingsPage />
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}

describe('Settings scopes', () => {
  it('an admin edits the server defaults at /api/admin/settings', async () => {
    role = 'admin';
    renderPage();
    // the user's own page says the mid model comes from the server default
    const mid = await screen.findByTestId('endpoint-m-mid');
    expect(mid.textContent).toContain('in use: shared-model');
    expect(mid.textContent).toContain('server default');
    fireEvent.click(screen.getByTestId('scope-server'));
    await waitFor(() => expect((screen.getByLabelText('Model', { selector: '#m-default-model' }) as HTMLInputElement).value).toBe('shared-model'));
    expect(screen.getByText(/Server defaults apply to every user/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Model', { selector: '#m-default-model' }), { target: { value: 'bigger-model' } });
    fireEvent.click(screen.getByTestId('settings-save'));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT' && c.url === '/api/admin/settings')).toBe(true));
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.body.models.default).toMatchObject({ model: 'bigger-model', base_url: 'http://llm/v1' });
    expect(calls.some((c) => c.method === 'PUT' && c.url === '/api/settings')).toBe(false);
  });

  it('a researcher has no server scope', async () => {
    role = 'researcher';
    renderPage();
    await screen.findByTestId('endpoint-m-mid');
    expect(screen.queryByTestId('scope-server')).toBeNull();
  });
});
