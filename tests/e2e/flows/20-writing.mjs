/*
 * From a mission report to an edited draft with a formatted reference list,
 * in Chromium against the real server and the fake model (issue 13 §2-3):
 * the report is edited in the browser and saved as a version that says who
 * made it, two versions are compared, "Continue in Writing" opens a draft
 * whose references are the report's sources, the user edits a reference's
 * metadata and sees it formatted in APA then Chicago in the preview, the
 * draft autosaves as versions, the assistant drafts a passage (streamed)
 * that is inserted with its source, revises a selection shown as a diff the
 * user accepts, the Markdown export carries the formatted list, and at phone
 * width the assistant and the references fold under the editor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DRAFTED = 'A sheet of paper is enough to stop alpha particles [1].';
const REVISED = 'Even paper stops alpha particles [1].';

export default async function writingFlow({ check, assert, page, base, api, has, shot, fakeModelPort, work }) {
  let missionId = null;
  let sessionId = null;

  await check('writing: a mission report is edited in the browser and saved as a version by its editor', async () => {
    if (!(await has('GET', '/api/writing/sessions'))) return 'skip';
    const list = await api('GET', '/api/missions');
    const missions = (list.body?.missions ?? list.body?.items ?? list.body ?? []).filter((m) => m.status === 'completed');
    for (const m of missions) {
      const rep = await api('GET', `/api/missions/${m.id}/report?format=json`);
      if (rep.status === 200 && (rep.body?.meta?.references ?? []).length) {
        missionId = m.id;
        break;
      }
    }
    assert(missionId, 'no completed mission with a cited report to continue from');
    await page.goto(`${base}/missions/${missionId}`);
    await page.click('[role=tab]:has-text("Report")');
    await page.waitForSelector('[data-testid=report-body] h1');
    await page.click('[data-testid=report-edit]');
    const ed = await page.waitForSelector('[data-testid=report-editor]');
    const before = await ed.inputValue();
    assert(/\[1\]/.test(before), 'the editor holds the report Markdown');
    await ed.fill(before.replace(/\n## /, '\nA sentence added in the browser.\n\n## '));
    await page.click('[data-testid=report-save]');
    await page.waitForSelector('[data-testid=report-body] :text("A sentence added in the browser.")');
    const opts = await page.$$eval('[data-testid=report-version] option', (os) => os.map((o) => o.textContent));
    assert(/edited by admin/.test(opts[0]) && opts.some((o) => /agent run/.test(o)), `versions: ${opts.join(' | ')}`);
    await page.click('[data-testid=report-compare]');
    const ins = await page.waitForSelector('[data-testid=report-diff] ins');
    assert((await ins.textContent()).includes('A sentence added in the browser.'), 'the diff shows the added sentence');
    await shot('40-report-edited-diff');
    const versions = await api('GET', `/api/missions/${missionId}/report/versions`);
    assert(versions.body.versions[0].author === 'user', 'the server lists the edit as the user\'s');
  });

  await check('writing: Continue in Writing opens the report as a draft with its sources formatted in the chosen style', async () => {
    if (!missionId) return 'skip';
    await page.click('[data-testid=report-continue]');
    await page.waitForURL(/\/writing\/[0-9a-f]+$/);
    sessionId = page.url().split('/').pop();
    const ed = await page.waitForSelector('[data-testid=draft-editor]');
    await page.waitForFunction(() => /\[@1\]/.test(document.querySelector('[data-testid=draft-editor]')?.value ?? ''));
    assert((await ed.inputValue()).includes('A sentence added in the browser.'), 'the draft is the edited report');
    await page.waitForSelector('[data-testid=draft-preview] h2:has-text("References")');
    const refs = await page.$$('[data-testid=reference]');
    assert(refs.length >= 1, 'the report\'s sources are the references');
    // the user completes the first source's metadata
    await page.click('[data-testid=reference] >> nth=0 >> [data-testid=reference-edit]');
    await page.fill('[data-testid=ref-authors]', 'Marie Curie; Pierre Curie');
    await page.fill('[data-testid=ref-year]', '1903');
    await page.click('[data-testid=reference-save]');
    await page.waitForSelector('[data-testid=references-panel] :text("Curie, M., & Curie, P. (1903).")');
    await page.waitForSelector('[data-testid=draft-preview] :text("(Curie & Curie, 1903)")');
    await shot('41-writing-apa');
    await page.selectOption('[data-testid=writing-style]', 'chicago');
    await page.waitForSelector('[data-testid=draft-preview] :text("(Curie and Curie 1903)")');
    await page.waitForSelector('[data-testid=draft-preview] :text("Curie, Marie, and Pierre Curie. 1903.")');
    await shot('42-writing-chicago');
  });

  await check('writing: edits autosave as versions; the assistant drafts and revises, the user inserts and accepts', async () => {
    if (!sessionId) return 'skip';
    const ed = await page.waitForSelector('[data-testid=draft-editor]');
    await ed.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n\nMy own closing words.');
    await page.waitForSelector('[data-testid=save-state]:has-text("Saved · v2")', { timeout: 10000 });
    const v = await api('GET', `/api/writing/sessions/${sessionId}/versions`);
    assert(v.body.versions.map((x) => x.author).join(',') === 'user,report', `versions: ${JSON.stringify(v.body.versions)}`);

    if (!fakeModelPort) return 'skip';
    const rulesFile = join(work, 'fake-rules.json');
    const original = JSON.parse(readFileSync(rulesFile, 'utf8'));
    const setRules = async (r) => {
      const res = await fetch(`http://127.0.0.1:${fakeModelPort}/_rules`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(r) });
      assert(res.ok, `fake /_rules -> ${res.status}`);
    };
    await setRules({
      ...original,
      rules: [
        { name: 'writing-draft', match: { content: 'Question: Draft a passage for my document' }, slow: 0.05, text: DRAFTED },
        { name: 'writing-revise', match: { content_regex: 'Question: Revise the following passage.*My own closing words' }, text: REVISED },
        ...original.rules,
      ],
    });
    // the run goes on without a model after its model checks: the fake model, for this check only
    const set = await api('PUT', '/api/settings', { models: { default: { provider: 'openai', base_url: `http://127.0.0.1:${fakeModelPort}/v1`, model: 'fake-model' } } });
    assert(set.status === 200, `model settings -> ${set.status} ${JSON.stringify(set.body)}`);
    try {
      await page.selectOption('[data-testid=assistant-mode]', 'draft');
      await page.fill('[data-testid=assistant-input]', 'what stops alpha particles');
      // the cursor goes to the end of the draft, where the passage lands
      await page.evaluate(() => {
        const ta = document.querySelector('[data-testid=draft-editor]');
        ta.setSelectionRange(ta.value.length, ta.value.length);
      });
      await page.click('[data-testid=assistant-send]');
      await page.waitForSelector('[data-testid=assistant-insert]', { timeout: 20000 });
      await shot('43-writing-assistant');
      await page.click('[data-testid=assistant-insert]');
      await page.waitForFunction(() => /A sheet of paper is enough to stop alpha particles \[@\d+\]\./.test(document.querySelector('[data-testid=draft-editor]').value));
      // the assistant never changed the draft by itself: the insertion is the user's, saved as a version
      await page.waitForSelector('[data-testid=save-state]:has-text("Saved · v3")', { timeout: 10000 });

      // revise a selection: shown as a diff, applied only when accepted
      await page.evaluate(() => {
        const ta = document.querySelector('[data-testid=draft-editor]');
        const s = ta.value.indexOf('My own closing words.');
        ta.focus();
        ta.setSelectionRange(s, s + 'My own closing words.'.length);
      });
      await page.selectOption('[data-testid=assistant-mode]', 'revise');
      await page.fill('[data-testid=assistant-input]', 'make it about paper');
      await page.evaluate(() => {
        const ta = document.querySelector('[data-testid=draft-editor]');
        const s = ta.value.indexOf('My own closing words.');
        ta.setSelectionRange(s, s + 'My own closing words.'.length);
      });
      await page.click('[data-testid=assistant-send]');
      const diff = await page.waitForSelector('[data-testid=revision-diff]', { timeout: 20000 });
      assert((await diff.$$('ins')).length > 0 && (await diff.$$('del')).length > 0, 'the revision is shown as a diff');
      const unchanged = await page.$eval('[data-testid=draft-editor]', (ta) => ta.value);
      assert(unchanged.includes('My own closing words.'), 'the draft is unchanged until the user accepts');
      await shot('44-writing-revision');
      await page.click('[data-testid=revision-accept]');
      await page.waitForFunction(() => {
        const v = document.querySelector('[data-testid=draft-editor]').value;
        return /Even paper stops alpha particles \[@\d+\]\./.test(v) && !v.includes('My own closing words.');
      });
      await page.waitForSelector('[data-testid=save-state]:has-text("Saved · v4")', { timeout: 10000 });
    } finally {
      await setRules(original);
      await api('PUT', '/api/settings', { models: {} });
    }
    const s = await api('GET', `/api/writing/sessions/${sessionId}`);
    assert(s.body.stats.model_calls >= 2 && s.body.stats.searches >= 2, `stats: ${JSON.stringify(s.body.stats)}`);
    await page.waitForSelector('[data-testid=writing-stats]');
  });

  await check('writing: the exported draft carries the formatted reference list; phone width folds the panels under the editor', async () => {
    if (!sessionId) return 'skip';
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-md]')]);
    const text = readFileSync(await dl.path(), 'utf8');
    assert(text.includes('(Curie and Curie 1903)'), 'citations in Chicago style');
    assert(/## References\n\n[\s\S]*Curie, Marie, and Pierre Curie\. 1903\./.test(text), `reference list: ${text.slice(-600)}`);
    const [dlb] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=refs-bibtex]')]);
    assert(/author = \{Curie, Marie and Curie, Pierre\}/.test(readFileSync(await dlb.path(), 'utf8')), 'BibTeX names the authors');
    const size = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.waitForTimeout(300);
      const edBox = await (await page.$('[data-testid=draft-editor]')).boundingBox();
      const asBox = await (await page.$('[data-testid=assistant-panel]')).boundingBox();
      const rfBox = await (await page.$('[data-testid=references-panel]')).boundingBox();
      assert(asBox.y >= edBox.y + edBox.height && rfBox.y >= edBox.y + edBox.height, 'assistant and references are under the editor');
      assert(edBox.width <= 390 && asBox.x >= 0 && asBox.x + asBox.width <= 391, 'nothing overflows the phone width');
      await shot('45-writing-phone');
    } finally {
      if (size) await page.setViewportSize(size);
    }
  });
}
