/*
 * Settings → Agents (issue 16 §2), in Chromium against the real server: an
 * admin creates a custom agent; a bad tool name is refused at the Tools
 * field and nothing typed is lost; the saved agent is listed with its
 * position, an edit makes version 2 and the history shows both; disabling
 * marks it; the section fits a phone's width.
 */
export default async function ({ check, assert, page, api, shot }) {
  await check('agents: an admin creates, edits and disables a custom agent in Settings', async () => {
    await page.click('nav >> text=Settings');
    await page.waitForSelector('[data-testid=agents-settings]');
    await page.click('[data-testid=agent-new]');
    await page.fill('#agent-name', 'e2e-checker');
    await page.fill('#agent-prompt', 'You check the notes of a section (role: e2e-checker).');
    await page.selectOption('#agent-position', 'before_writing');
    await page.fill('#agent-tools', 'nosuch.tool');
    await page.click('[data-testid=agent-save]');
    const err = page.locator('#agent-tools-error');
    await err.waitFor({ timeout: 10000 });
    assert((await err.textContent()).includes('nosuch.tool'), `tools error: ${await err.textContent()}`);
    assert((await page.inputValue('#agent-prompt')).includes('role: e2e-checker'), 'the prompt was kept');
    await page.fill('#agent-tools', '');
    await page.click('[data-testid=agent-save]');
    const row = page.locator('[data-testid=agent-e2e-checker]');
    await row.waitFor({ timeout: 10000 });
    assert((await row.textContent()).includes('Before writing'), `row: ${await row.textContent()}`);
    await page.click('[data-testid=agent-edit-e2e-checker]');
    await page.fill('#agent-prompt', 'You check the notes strictly (role: e2e-checker).');
    await page.click('[data-testid=agent-save]');
    await page.waitForFunction(() => document.querySelector('[data-testid=agent-e2e-checker]')?.textContent.includes('v2'), null, { timeout: 10000 });
    await page.click('[data-testid=agent-history-e2e-checker]');
    const versions = page.locator('[data-testid=agent-versions]');
    await versions.waitFor({ timeout: 10000 });
    const text = await versions.textContent();
    assert(text.includes('strictly') && text.includes('v1') && text.includes('v2'), `versions: ${text}`);
    const listed = await api('GET', '/api/agents/e2e-checker');
    assert(listed.status === 200 && listed.body.versions.length === 2, `API: ${JSON.stringify(listed.body)}`);
    await page.click('[data-testid=agent-toggle-e2e-checker]');
    await page.waitForFunction(() => document.querySelector('[data-testid=agent-e2e-checker]')?.textContent.includes('disabled'), null, { timeout: 10000 });
    await page.setViewportSize({ width: 390, height: 780 });
    const box = await page.locator('[data-testid=agents-settings]').boundingBox();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    await shot('40-agents-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert(box && box.x >= 0 && box.x + box.width <= 391, `the section overflows a phone: ${JSON.stringify(box)}`);
    assert(wide <= 390, `the page scrolls sideways on a phone: ${wide}px`);
  });
}
