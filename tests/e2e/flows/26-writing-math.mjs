/*
 * Math in a Writing export, as a reader sees it in Chromium: a draft with an
 * inline formula, a display formula, a dollar amount and a formula outside
 * the supported subset is exported as HTML, and the file is opened with the
 * headers the server sent (its Content-Security-Policy included). Chromium
 * draws the MathML natively: the fraction is stacked (taller than a line),
 * the display formula is centred on its own line, "$5 and $10" stays text,
 * the unknown command shows its source in monospace, and no script or style
 * is blocked by the policy. A table is drawn with rules and padded cells
 * (the export once drew a bare grid of words), and a pmatrix is a 2x2 grid
 * (environments were once exported as their TeX source).
 */
const DRAFT =
  '# Decay\n\nThe half-life $t_{1/2} = \\frac{\\ln 2}{\\lambda}$ of a nucleus; a sample costs $5 and $10.\n\n' +
  '$$ P(k) = \\frac{\\lambda^k e^{-\\lambda}}{k!} $$\n\nUnknown: $\\weird{x}$.\n\n' +
  '| Isotope | Half-life |\n| --- | --- |\n| C-14 | 5730 y |\n\n' +
  '$$ A = \\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix} $$\n';

export default async function writingMathFlow({ check, assert, page, base, api, has, shot }) {
  await check('writing: an HTML export shows math as MathML that Chromium lays out under the report CSP', async () => {
    if (!(await has('GET', '/api/writing/sessions'))) return 'skip';
    const created = await api('POST', '/api/writing/sessions', { title: 'Decay', content: DRAFT });
    assert(created.status === 201, `create session: ${created.status}`);
    const id = created.body.id;
    const token = await page.evaluate(() => localStorage.getItem('maestro.token'));
    const r = await fetch(`${base}/api/writing/sessions/${id}/export?format=html`, { headers: { Authorization: `Bearer ${token}` } });
    assert(r.status === 200, `export: ${r.status}`);
    const html = await r.text();
    const csp = r.headers.get('content-security-policy');
    assert(csp && csp.includes("default-src 'none'"), `CSP: ${csp}`);
    assert(html.includes('<math') && !html.includes('\\frac'), 'MathML and no TeX source in the file');

    // the exported file, opened the way a browser opens it from the server
    const url = `${base}/e2e-math-export.html`;
    await page.route(url, (route) =>
      route.fulfill({ status: 200, headers: { 'content-type': r.headers.get('content-type'), 'content-security-policy': csp }, body: html }),
    );
    const blocked = [];
    const onConsole = (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    };
    page.on('console', onConsole);
    try {
      await page.goto(url);
      const m = await page.evaluate(() => {
        const box = (el) => {
          const b = el.getBoundingClientRect();
          return { x: b.x, y: b.y, w: b.width, h: b.height };
        };
        const inline = document.querySelector('p math:not([display])');
        const display = document.querySelector('math[display=block]');
        const frac = inline.querySelector('mfrac');
        const line = parseFloat(getComputedStyle(inline.closest('p')).fontSize);
        const p = display.closest('p');
        const tex = document.querySelector('code.math-tex');
        return {
          inline: box(inline),
          frac: box(frac),
          num: box(frac.children[0]),
          den: box(frac.children[1]),
          line,
          display: box(display),
          para: box(p),
          mathDisplay: getComputedStyle(display).display,
          tex: tex && tex.textContent,
          texFont: tex && getComputedStyle(tex).fontFamily,
          matrix: (() => {
            const t = document.querySelector('mtable');
            if (!t) return null;
            const cells = [...t.querySelectorAll('mtd')].map((c) => c.getBoundingClientRect());
            return cells.map((b) => ({ x: Math.round(b.x), y: Math.round(b.y) }));
          })(),
          cell: (() => {
            const td = document.querySelector('td');
            const cs = td && getComputedStyle(td);
            return cs && { border: parseFloat(cs.borderTopWidth), style: cs.borderTopStyle, pad: parseFloat(cs.paddingLeft) };
          })(),
          text: document.body.innerText,
        };
      });
      // stacked: the numerator over the denominator, the fraction taller than the text
      assert(m.num.y + m.num.h <= m.den.y + 1 && m.num.x < m.den.x + m.den.w && m.den.x < m.num.x + m.num.w,
        `the numerator is over the denominator: ${JSON.stringify([m.num, m.den])}`);
      assert(m.frac.h > m.line * 1.15, `the fraction is stacked: ${m.frac.h}px tall for ${m.line}px text`);
      assert(/block/.test(m.mathDisplay), `display math is a block: ${m.mathDisplay}`);
      const centre = m.display.x + m.display.w / 2;
      const mid = m.para.x + m.para.w / 2;
      const children = await page.evaluate(() => {
        const d = document.querySelector('math[display=block]');
        const r = [...d.children].map((c) => c.getBoundingClientRect());
        return { left: Math.min(...r.map((b) => b.left)), right: Math.max(...r.map((b) => b.right)) };
      });
      assert(Math.abs((children.left + children.right) / 2 - mid) < 4 && Math.abs(centre - mid) < 4, 'the display formula is centred');
      assert(m.text.includes('costs $5 and $10.'), 'dollar amounts stay text');
      assert(m.tex === '$\\weird{x}$' && /mono/i.test(m.texFont), `unknown math as code: ${m.tex} ${m.texFont}`);
      // a 2x2 matrix: two rows one under the other, two columns side by side
      const mx = m.matrix;
      assert(mx && mx.length === 4 && mx[0].y === mx[1].y && mx[2].y > mx[0].y && mx[1].x > mx[0].x && mx[2].x === mx[0].x,
        `the matrix is laid out as a table: ${JSON.stringify(mx)}`);
      assert(m.cell && m.cell.border >= 1 && m.cell.style !== 'none' && m.cell.pad >= 4,
        `table cells have rules and padding: ${JSON.stringify(m.cell)}`);
      assert(blocked.length === 0, `blocked by the CSP: ${blocked.join(' | ')}`);
      await shot('46-writing-math-export');
    } finally {
      page.off('console', onConsole);
      await page.unroute(url);
      await page.goto(base);
    }
  });
}
