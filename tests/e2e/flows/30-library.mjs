/*
 * The library at work (issue 14 §3), in Chromium against the real server:
 * papers with authors and years are uploaded; the author and year filters
 * narrow the table through the server; a document reprocessed from outside
 * the page (the API) turns Processing and then Ready live, without a reload;
 * a bulk delete of the filtered selection removes exactly those documents;
 * the reader marks the words of a search.
 */
const PAPERS = [
  ['curie-1995.md', 'Radioactive Decay Chains', 'Marie Curie', 1995, 'Decay chains of radium and polonium were measured with an electrometer.'],
  ['curie-2015.md', 'Polonium Revisited', 'Marie Curie', 2015, 'Polonium samples were characterised with modern detectors and a spectrometer.'],
  ['turing-2005.md', 'Computable Numbers Today', 'Alan Turing', 2005, 'Computable numbers are defined by machines that print their digits.'],
];

export default async function ({ check, assert, page, api, shot }) {
  const rows = () => page.locator('[data-testid=doc-row]');
  const statusOf = (name) => page.locator('[data-testid=doc-row]', { hasText: name }).getAttribute('data-status');

  await check('library: filters by author and year on the server', async () => {
    await page.click('nav >> text=Documents');
    await page.waitForSelector('h1:has-text("Documents")');
    const files = PAPERS.map(([name, title, author, year, body]) => ({
      name,
      mimeType: 'text/markdown',
      buffer: Buffer.from(`---\ntitle: ${title}\nauthor: ${author}\nyear: ${year}\n---\n# ${title}\n\n${body}\n`),
    }));
    await page.setInputFiles('[data-testid=file-input]', files);
    await page
      .waitForFunction((n) => [...document.querySelectorAll('[data-testid=doc-row][data-status=ready]')].filter((r) => /Radioactive|Polonium|Computable/.test(r.textContent)).length === n, PAPERS.length, { timeout: 30000 })
      .catch(async (e) => {
        const state = await page.evaluate(() => [...document.querySelectorAll('[data-testid=doc-row]')].map((r) => `${r.getAttribute('data-status')}: ${r.textContent.slice(0, 60)}`));
        throw new Error(`${e.message}\n  rows: ${state.join('\n  ')}`);
      });
    const asked = [];
    const onReq = (r) => {
      if (r.url().includes('/api/documents?')) asked.push(r.url());
    };
    page.on('request', onReq);
    await page.fill('[data-testid=docs-author-filter]', 'curie');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=doc-row]').length === 2, null, { timeout: 10000 });
    await page.fill('[data-testid=docs-year-from]', '2000');
    await page.fill('[data-testid=docs-year-to]', '2020');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=doc-row]').length === 1, null, { timeout: 10000 });
    assert((await rows().first().textContent()).includes('Polonium Revisited'), `filtered row: ${await rows().first().textContent()}`);
    page.off('request', onReq);
    const last = new URL(asked[asked.length - 1]);
    assert(last.searchParams.get('author') === 'curie' && last.searchParams.get('year_from') === '2000', `the server was not asked: ${last}`);
    await shot('30-library-filtered');
    await page.fill('[data-testid=docs-year-from]', '');
    await page.fill('[data-testid=docs-year-to]', '');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=doc-row]').length === 2, null, { timeout: 10000 });
  });

  await check('library: a document reprocessed elsewhere turns Ready live, without a reload', async () => {
    const list = await api('GET', '/api/documents?author=turing');
    const doc = list.body.documents[0];
    assert(doc && doc.status === 'ready', `turing paper: ${JSON.stringify(list.body)}`);
    await page.fill('[data-testid=docs-author-filter]', 'turing');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=doc-row]').length === 1, null, { timeout: 10000 });
    // watch the row's status as the page shows it; no list request may explain a change
    await page.evaluate(() => {
      window.__seen = [];
      const row = document.querySelector('[data-testid=doc-row]');
      new MutationObserver(() => window.__seen.push(row.getAttribute('data-status'))).observe(row, { attributes: true, attributeFilter: ['data-status'] });
    });
    let reloads = 0;
    const onReq = (r) => {
      if (r.url().includes('/api/documents?')) reloads++;
    };
    page.on('request', onReq);
    const r = await api('POST', `/api/documents/${doc.id}/reprocess`);
    assert(r.status === 202, `reprocess: ${r.status}`);
    await page
      .waitForFunction(() => window.__seen.length > 0 && window.__seen[window.__seen.length - 1] === 'ready', null, { timeout: 30000 })
      .catch(async (e) => {
        const seen = await page.evaluate(() => window.__seen);
        const now = await api('GET', `/api/documents/${doc.id}`);
        throw new Error(`${e.message}; seen ${JSON.stringify(seen)}; server says ${now.body.status}; list requests ${reloads}`);
      });
    const seen = await page.evaluate(() => window.__seen);
    page.off('request', onReq);
    assert(seen.some((s) => s === 'queued' || s === 'processing'), `the row never left Ready: ${seen}`);
    assert(reloads === 0, `the page reloaded the list ${reloads} times instead of following the events`);
    assert((await statusOf('turing-2005.md')) === 'ready');
    await shot('31-library-live-ready');
  });

  await check('library: bulk delete of the filtered selection removes exactly those', async () => {
    await page.fill('[data-testid=docs-author-filter]', 'curie');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=doc-row]').length === 2, null, { timeout: 10000 });
    await page.click('th.col-check input[type=checkbox]');
    await page.waitForSelector('[data-testid=bulk-bar]');
    await shot('32-library-bulk-selected');
    page.once('dialog', (d) => d.accept());
    await page.click('[data-testid=bulk-delete]');
    await page.waitForSelector('[data-testid=bulk-note]');
    await page.waitForSelector('[data-testid=docs-empty]', { timeout: 10000 });
    const left = await api('GET', '/api/documents?author=curie');
    assert(left.body.total === 0, `curie papers left: ${left.body.total}`);
    const turing = await api('GET', '/api/documents?author=turing');
    assert(turing.body.total === 1, `the other paper went too: ${turing.body.total}`);
    await page.fill('[data-testid=docs-author-filter]', '');
  });

  await check('library: the reader marks the words of a search', async () => {
    await page.fill('[data-testid=search-input]', 'computable machines');
    await page.press('[data-testid=search-input]', 'Enter');
    await page.waitForSelector('[data-testid=search-results] .passage');
    await page.click('[data-testid=search-results] .passage button:has-text("Computable Numbers Today")');
    await page.waitForSelector('[data-testid=reader] mark');
    const marks = await page.locator('[data-testid=reader] mark').allTextContents();
    assert(marks.some((m) => /computable/i.test(m)) && marks.some((m) => /machines/i.test(m)), `marks: ${marks}`);
    await shot('33-library-reader');
    await page.keyboard.press('Escape');
  });
}
