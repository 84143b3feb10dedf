import { describe, it, expect } from 'vitest';
import { note } from '../test/fixtures';
import { parseCiteList, parseReferences, referencesFromJson, renderMarkdown } from './markdown';
import { noteForReference } from '../pages/mission/ReportTab';
import { normNote } from './api';

const html = (s: string) => {
  const d = document.createElement('div');
  d.innerHTML = s;
  return d;
};

describe('citation linking', () => {
  it('turns [n] markers into links that carry the number', () => {
    const d = html(renderMarkdown('Transformers dominate [1]. Later work disagrees [2, 3] and [4-6].'));
    const cites = [...d.querySelectorAll('a.cite')].map((a) => a.getAttribute('data-cite'));
    expect(cites).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(d.textContent).toContain('[2, 3]');
    expect(d.querySelector('a.cite')!.getAttribute('href')).toBe('#ref-1');
  });

  it('leaves code, existing links and unknown numbers alone', () => {
    const md = 'See `arr[1]` and [a link](http://x.org/[2]) in 2024 [2024] but cite [1].\n\n```\nx[3]\n```';
    const d = html(renderMarkdown(md, { known: new Set([1, 2, 3]) }));
    const cites = [...d.querySelectorAll('a.cite')].map((a) => a.getAttribute('data-cite'));
    expect(cites).toEqual(['1']);
    expect(d.querySelector('code')!.textContent).toBe('arr[1]');
    expect(d.textContent).toContain('[2024]');
  });

  it('renders tables and strips scripts and event handlers', () => {
    const md = '| a | b |\n|---|---|\n| 1 | 2 [1] |\n\n<script>alert(1)</script><img src=x onerror="alert(2)">';
    const out = renderMarkdown(md);
    const d = html(out);
    expect(d.querySelector('table td:last-child a.cite')).not.toBeNull();
    expect(out).not.toContain('<script');
    expect(out).not.toContain('onerror');
  });

  it('opens external links in a new tab safely', () => {
    const d = html(renderMarkdown('[site](https://example.org)'));
    const a = d.querySelector('a')!;
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toContain('noopener');
  });

  it('parses cite lists', () => {
    expect(parseCiteList('1, 3-5; 8')).toEqual([1, 3, 4, 5, 8]);
    expect(parseCiteList('9-2')).toEqual([9]);
  });
});

describe('reference list rendering', () => {
  it('does not link the numbers of the reference list, and keeps one reference per line', () => {
    const md = 'Claim [1] and [2].\n\n## References\n\n[1] First source\n[2] Second source\n';
    const d = html(renderMarkdown(md));
    expect([...d.querySelectorAll('a.cite')].map((a) => a.getAttribute('data-cite'))).toEqual(['1', '2']);
    const refs = d.querySelector('.references')!;
    expect(refs.querySelectorAll('br')).toHaveLength(1);
    expect(refs.textContent).toContain('[2] Second source');
  });
});

describe('references', () => {
  const report = `# Report

Body text [1] [2].

## References

[1] Smith, "Scaling laws for everything in the world", 2020. https://arxiv.org/abs/2001.08361
2. Kim et al. — Korean NLP survey (local document, p. 4)
- [3]: https://example.org/page

## Appendix
[4] not a reference
`;
  it('reads the reference list under a References heading only', () => {
    const refs = parseReferences(report);
    expect([...refs.keys()]).toEqual([1, 2, 3]);
    expect(refs.get(1)!.url).toBe('https://arxiv.org/abs/2001.08361');
    expect(refs.get(1)!.quote).toBe('Scaling laws for everything in the world');
    expect(refs.get(2)!.text).toContain('Korean NLP survey');
  });

  it('reads the references of a report in JSON form', () => {
    const refs = referencesFromJson([{ n: 2, title: 'Doc', url: null, document_id: '7', page: 3, kind: 'document', notes: ['a'], cites: [['a']] }]);
    expect(refs.get(2)).toMatchObject({ title: 'Doc', document_id: '7', page: '3', kind: 'document', notes: ['a'], cites: [['a']] });
  });

  it('finds the note behind a reference by URL, document or title', () => {
    const notes = [
      normNote(note({ id: 'a', quote: 'web quote', source_type: 'web', url: 'https://arxiv.org/abs/2001.08361', source_title: 'arxiv' })),
      normNote(note({ id: 'b', quote: 'doc quote', document_id: '7', page: 3, source_title: 'Korean NLP survey' })),
    ];
    const refs = parseReferences(report);
    expect(noteForReference(refs.get(1)!, notes)!.id).toBe('a');
    expect(noteForReference(refs.get(2)!, notes)!.id).toBe('b');
    expect(noteForReference({ n: 9, text: 'x', url: '', quote: '', document_id: '7', page: '3', title: '' }, notes)!.id).toBe('b');
    expect(noteForReference({ n: 9, text: 'unrelated', url: '', quote: '', document_id: '', page: '', title: '' }, notes)).toBeUndefined();
  });
});
