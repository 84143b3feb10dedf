/*
 * The Writing assistant with "Search the web too" on, in Chromium against the
 * real server, which has no search endpoint configured (SEARXNG_URL is empty
 * in this run): the toggle is saved with the session, and the answer says
 * under it that the web could not be searched instead of skipping it
 * silently (issue 13 §2, "the web when enabled").
 */
export default async function writingWebFlow({ check, assert, page, base, api, has, shot }) {
  await check('writing: with the web on and no search endpoint, the answer says the web was not searched', async () => {
    if (!(await has('GET', '/api/writing/sessions'))) return 'skip';
    const created = await api('POST', '/api/writing/sessions', { title: 'Web toggle', content: 'A short draft.' });
    assert(created.status === 201, `create -> ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    try {
      await page.goto(`${base}/writing/${id}`);
      const box = await page.waitForSelector('[data-testid=writing-web]');
      assert(!(await box.isChecked()), 'the web is off for a new session');
      await box.click();
      await page.waitForFunction(() => document.querySelector('[data-testid=writing-web]')?.checked === true);
      let s;
      for (let i = 0; i < 50; i++) {
        s = await api('GET', `/api/writing/sessions/${id}`);
        if (s.body.web === true) break;
        await page.waitForTimeout(100);
      }
      assert(s.body.web === true, 'the toggle is saved with the session');
      await page.selectOption('[data-testid=assistant-mode]', 'ask');
      await page.fill('[data-testid=assistant-input]', 'What is new about alpha particles?');
      await page.click('[data-testid=assistant-send]');
      const status = await page.waitForSelector('[data-testid=assistant-web-status]', { timeout: 20000 });
      const text = await status.textContent();
      assert(/no search endpoint is configured/.test(text), `the web status says why: ${text}`);
      assert((await status.getAttribute('class')).includes('alert-warn'), 'shown as a warning');
      await shot('45-writing-web-unavailable');
      const h = await api('GET', `/api/writing/sessions/${id}/assistant`);
      const last = h.body.messages[h.body.messages.length - 1];
      assert(last.role === 'assistant' && last.web?.status === 'no_provider', `stored web status: ${JSON.stringify(last.web)}`);
    } finally {
      await api('DELETE', `/api/writing/sessions/${id}`);
    }
  });
}
