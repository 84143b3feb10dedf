/*
 * The Writing workspace's pure helpers: diffs a user reads (versions, a
 * revision), inserting at the cursor, an assistant answer's [n] as the
 * draft's [@N], and the preview's math.
 */
import { describe, it, expect } from 'vitest';
import mathCases from '../../../tests/fixtures/math_find.json';
import footnoteCases from '../../../tests/fixtures/footnotes.json';
import { answerToDraft, diffLines, diffWords, insertAt, renderDraft, resolveFootnotes } from './writing';

describe('diff', () => {
  it('shows the lines removed and added between two versions', () => {
    const ops = diffLines('# T\n\nOne.\nTwo.\n', '# T\n\nOne.\nTwo, revised.\nThree.\n');
    expect(ops).toEqual([
      { op: 'same', text: '# T\n\nOne.\n' },
      { op: 'del', text: 'Two.\n' },
      { op: 'add', text: 'Two, revised.\nThree.\n' },
    ]);
  });
  it('marks the words a revision changes', () => {
    const ops = diffWords('Etna erupts a lot.', 'Etna erupts often.');
    expect(ops.filter((o) => o.op === 'del').map((o) => o.text).join('')).toBe('a lot.');
    expect(ops.filter((o) => o.op === 'add').map((o) => o.text).join('')).toBe('often.');
    expect(ops[0]).toEqual({ op: 'same', text: 'Etna erupts ' });
  });
});

describe('insertAt', () => {
  it('puts a passage between paragraphs as its own paragraph', () => {
    const r = insertAt('First.\n\nLast.', 8, 'Middle [@1].');
    expect(r.draft).toBe('First.\n\nMiddle [@1].\n\nLast.');
    expect(r.draft.slice(0, r.cursor)).toBe('First.\n\nMiddle [@1].\n\n');
  });
  it('appends at the end of a draft', () => {
    expect(insertAt('Intro.', 6, 'More.').draft).toBe('Intro.\n\nMore.');
    expect(insertAt('', 0, '  Only.  ').draft).toBe('Only.');
  });
});

describe('answerToDraft', () => {
  it('maps the answer citations to reference numbers and drops unknown ones', () => {
    const map = new Map([
      [1, 4],
      [2, 7],
    ]);
    expect(answerToDraft('Etna is on Sicily [1][2]. Vesuvius too [3].', map)).toBe('Etna is on Sicily [@4][@7]. Vesuvius too.');
  });
});

describe('renderDraft', () => {
  it('renders inline and display math with KaTeX, tables and code, and leaves code alone', () => {
    const html = renderDraft('# T\n\nEnergy $E = mc^2$ and\n\n$$\\int_0^1 x\\,dx$$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n`$not math$`\n');
    expect(html).toContain('<h1');
    expect(html).toContain('class="katex"');
    expect(html).toContain('katex-display');
    expect(html).toContain('<table');
    expect(html).toContain('<code>$not math$</code>');
  });
  it('shows a TeX error in place instead of failing', () => {
    expect(() => renderDraft('bad $\\frac{1}{$ end')).not.toThrow();
  });
  it('does not let the draft inject script', () => {
    const html = renderDraft('<img src=x onerror="alert(1)"> $x$');
    expect(html).not.toContain('onerror');
  });
});

describe('math in the preview is found as in the exports', () => {
  // tests/fixtures/math_find.json is read by the C exporters' tests as well
  // (tests/unit/test_report_math.c): both find the same formulas.
  it.each(mathCases.cases.map((c) => [c.markdown, c.math] as const))('%j', (md, math) => {
    const html = renderDraft(md);
    expect(html.split('class="katex"').length - 1).toBe(math.length);
  });
});

describe('footnotes in the preview are resolved as in the exports', () => {
  // tests/fixtures/footnotes.json is read by the C exporters' tests as well
  // (tests/unit/test_report_export.c): both give the same Markdown.
  it.each(footnoteCases.cases.map((c) => [c.name, c.markdown, c.resolved] as const))('%s', (_, md, resolved) => {
    expect(resolveFootnotes(md)).toBe(resolved);
  });
  it('shows numbers and the notes, not the [^1] source, and emphasis still closes', () => {
    const host = document.createElement('div');
    host.innerHTML = renderDraft('Deaths halved *(unverified)*[^v1] in trials[^t].\n\n[^v1]: Unverified: no source\n[^t]: Both from 2019.\n');
    expect(host.textContent).not.toContain('[^');
    expect(host.querySelector('p em')?.textContent).toBe('(unverified)');
    expect(host.querySelector('p')?.textContent).toContain('in trials²');
    expect(host.querySelector('hr')).not.toBeNull();
    expect([...host.querySelectorAll('ol li')].map((li) => li.textContent)).toEqual(['Unverified: no source', 'Both from 2019.']);
  });
});
