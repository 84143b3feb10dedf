/*
 * Research chat (issue 13 §1) and chat housekeeping (§5), in Chromium
 * against the real server and a fake model of this flow's own (its rules
 * answer the planner's structured proposal): a user goes from "I need a
 * report on heat pumps" to a started mission by chat, with one refinement
 * turn and one card edit; then a new chat is only kept once it has a
 * question, and chats are renamed and deleted with the in-app dialog.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CARD = (over) => ({
  reply: 'Here is a mission on heat pumps in Europe.',
  title: 'Heat pumps in Europe',
  questions: ['What do heat pumps cost in Europe?', 'How efficient are they in cold climates?', 'Which EU policies support them?', 'What limits their adoption?'],
  sources: { documents: true, web: false, scholarly: false },
  depth: 'standard',
  language: 'en',
  tone: 'formal',
  audience: 'policy analysts',
  ...over,
});
const RULES = {
  rules: [
    { name: 'first', match: { system: 'role: mission_draft', content: 'latest message: I need a report on heat pumps' }, json: CARD({}) },
    {
      name: 'refine',
      match: { system: 'role: mission_draft', content: 'latest message: Drop the third question' },
      json: CARD({
        reply: 'I dropped the question on EU policies and made it shorter, for executives.',
        questions: ['What do heat pumps cost in Europe?', 'How efficient are they in cold climates?', 'What limits their adoption?'],
        depth: 'quick',
        tone: 'concise',
        audience: 'executives',
      }),
    },
  ],
  default: { text: 'Heat pumps move heat instead of making it [1].' },
};

async function startFake(work, root) {
  const rules = join(work, 'research-chat-rules.json');
  writeFileSync(rules, JSON.stringify(RULES));
  const proc = spawn('python3', [join(root, 'tests', 'fakes', 'fake_llm.py'), '--rules', rules, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.on('error', () => {});
  const port = await new Promise((res) => {
    let out = '';
    const t = setTimeout(() => res(0), 5000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^(\d+)\s*$/m);
      if (m) {
        clearTimeout(t);
        res(Number(m[1]));
      }
    });
    proc.on('exit', () => res(0));
  });
  return { proc, port };
}

/* Uploads a small document so the mission has something to research. */
async function upload(page, base, assert) {
  const token = await page.evaluate(() => localStorage.getItem('maestro.token'));
  const fd = new FormData();
  const text = '# Heat pumps\n\nA heat pump moves heat instead of making it. In Europe, heat pumps cost between 8,000 and 15,000 euros installed.\n';
  fd.append('files', new Blob([text], { type: 'text/markdown' }), 'heat-pumps.md');
  const r = await fetch(`${base}/api/documents`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: fd });
  assert(r.status === 201 || r.status === 200 || r.status === 202, `upload -> ${r.status}`);
  const j = await r.json();
  const id = (j.documents ?? j.items ?? [j])[0]?.id;
  for (let i = 0; i < 100; i++) {
    const d = await (await fetch(`${base}/api/documents/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (d.status === 'ready') return;
    assert(d.status !== 'failed', `ingestion failed: ${d.error}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  assert(false, 'the document never became ready');
}

export default async function ({ check, assert, page, base, api, shot, work, root }) {
  const { proc, port } = await startFake(work, root);
  const saved = (await api('GET', '/api/settings')).body?.models ?? {};
  try {
    await check('research chat: from "I need a report on X" to a started mission, with a refinement turn and a card edit', async () => {
      assert(port > 0, 'the fake model of this flow did not start');
      // the user's own model settings point at this flow's fake model
      const put = await api('PUT', '/api/settings', { models: { default: { provider: 'openai', base_url: `http://127.0.0.1:${port}/v1`, model: 'fake-model' } } });
      assert(put.status === 200, `PUT /api/settings -> ${put.status} ${JSON.stringify(put.body)}`);
      await upload(page, base, assert);

      await page.click('nav >> text=New mission');
      await page.waitForSelector('[data-testid=rc-input]');
      assert((await page.title()) === 'New mission · Maestro', `title: ${await page.title()}`);
      assert(await page.isVisible('[data-testid=advanced-form]'), 'no Advanced link to the form');
      await shot('40-research-chat-start');
      await page.fill('[data-testid=rc-input]', 'I need a report on heat pumps in Europe');
      await page.click('[data-testid=rc-send]');
      await page.waitForURL(/\/missions\/drafts\/[^/]+$/);
      const draftId = new URL(page.url()).pathname.split('/').pop();
      await page.waitForSelector('[data-testid=card-origin]:has-text("Proposed by the model")');
      assert((await page.inputValue('[data-testid=card-title]')) === 'Heat pumps in Europe', 'card title');
      assert((await page.locator('.card-questions li').count()) === 4, 'four questions proposed');
      await page.waitForSelector('.msg-assistant:has-text("Here is a mission on heat pumps")');
      await shot('41-research-chat-proposal');

      // a refinement turn: answered over the WebSocket, the card follows
      await page.fill('[data-testid=rc-turn]', 'Drop the third question, shorter, for executives');
      await page.press('[data-testid=rc-turn]', 'Enter');
      await page.waitForSelector('.msg-assistant:has-text("I dropped the question on EU policies")', { timeout: 20000 });
      await page.waitForFunction(() => document.querySelectorAll('.card-questions li').length === 3);
      assert((await page.inputValue('[data-testid=card-audience]')) === 'executives', 'audience not updated');
      assert((await page.inputValue('[data-testid=card-depth]')) === 'quick', 'depth not updated');
      const qs = await page.locator('.card-questions input').evaluateAll((els) => els.map((e) => e.value));
      assert(!qs.includes('Which EU policies support them?'), `the third question is still there: ${qs}`);
      await shot('42-research-chat-refined');

      // a card edit: an empty title is refused next to the field, then a real one is saved
      await page.fill('[data-testid=card-title]', ' ');
      await page.click('[data-testid=card-save]');
      await page.waitForSelector('[data-testid=card-error-title]');
      await page.fill('[data-testid=card-title]', 'Heat pumps for the board');
      await page.click('[data-testid=card-save]');
      await page.waitForSelector('[data-testid=card-origin]:has-text("Edited by you")');
      const d = await api('GET', `/api/missions/drafts/${draftId}`);
      assert(d.body.proposal.title === 'Heat pumps for the board', `stored title: ${d.body.proposal.title}`);
      assert(d.body.messages.map((m) => m.role).join(',') === 'user,assistant,user,assistant,edit', `history: ${d.body.messages.map((m) => m.role)}`);
      await shot('43-research-chat-edited');

      // start: the mission is the card, and links back to the conversation
      await page.click('[data-testid=rc-start]');
      await page.waitForURL(/\/missions\/(?!drafts)[^/]+$/);
      const missionId = new URL(page.url()).pathname.split('/').pop();
      await page.waitForSelector('.mission-title h1:has-text("Heat pumps for the board")');
      await page.waitForFunction(() => document.title === 'Mission: Heat pumps for the board · Maestro');
      const m = await api('GET', `/api/missions/${missionId}`);
      assert(JSON.stringify(m.body.research_questions) === JSON.stringify(qs), `mission questions: ${JSON.stringify(m.body.research_questions)}`);
      assert(m.body.depth === 'quick', `depth ${m.body.depth}`);
      assert(m.body.draft_id === draftId, 'the mission does not link to its conversation');
      await shot('44-research-chat-mission');
      await page.click('[data-testid=mission-draft-link]');
      await page.waitForSelector('[data-testid=rc-started]');
      assert(!(await page.isVisible('[data-testid=rc-start]')), 'a started draft offers Start again');
      await page.setViewportSize({ width: 390, height: 844 });
      await shot('45-research-chat-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    await check('chats: an empty new chat is not kept; rename and delete with the in-app dialog', async () => {
      const before = (await api('GET', '/api/chats')).body.total;
      await page.click('nav >> text=Chat');
      await page.waitForSelector('.chat-page');
      await page.click('[data-testid=chat-new]');
      await page.waitForURL(/\/chat\/new$/);
      await page.click('nav >> text=Dashboard');
      await page.waitForSelector('h1:has-text("Dashboard")');
      assert((await api('GET', '/api/chats')).body.total === before, 'an empty chat was kept');
      await page.click('nav >> text=Chat');
      await page.click('[data-testid=chat-new]');
      await page.fill('[data-testid=chat-input]', 'How do heat pumps work?');
      await page.press('[data-testid=chat-input]', 'Enter');
      await page.waitForURL(/\/chat\/(?!new$)[^/]+$/);
      await page.waitForFunction(() => {
        const a = [...document.querySelectorAll('.msg-assistant')].pop();
        return a && !a.querySelector('.typing') && !a.querySelector('.cursor') && a.textContent.length > 10;
      }, null, { timeout: 20000 });
      const chatId = new URL(page.url()).pathname.split('/').pop();
      await page.click('[data-testid=chat-rename]');
      await page.fill('[data-testid=chat-rename-input]', 'Heat pump basics');
      await page.press('[data-testid=chat-rename-input]', 'Enter');
      await page.waitForSelector('.chat-head h2:has-text("Heat pump basics")');
      await page.waitForSelector('.chat-item-title:has-text("Heat pump basics")');
      await page.waitForFunction(() => document.title === 'Chat: Heat pump basics · Maestro');
      let nativeDialog = false;
      const onDialog = (dlg) => {
        nativeDialog = true;
        void dlg.dismiss();
      };
      page.on('dialog', onDialog);
      await page.click('[data-testid=chat-delete]');
      await page.waitForSelector('[data-testid=confirm-dialog]:has-text("Heat pump basics")');
      await shot('46-chat-delete-dialog');
      await page.click('[data-testid=confirm-cancel]');
      assert(!(await page.isVisible('[data-testid=confirm-dialog]')), 'cancel did not close the dialog');
      await page.click('[data-testid=chat-delete]');
      await page.click('[data-testid=confirm-ok]');
      await page.waitForURL(/\/chat$/);
      page.off('dialog', onDialog);
      assert(!nativeDialog, "the browser's confirm() was used");
      const list = (await api('GET', '/api/chats')).body.chats.map((c) => c.id);
      assert(!list.includes(chatId), 'the chat was not deleted');
    });
  } finally {
    await api('PUT', '/api/settings', { models: saved });
    proc.kill('SIGTERM');
  }
}
