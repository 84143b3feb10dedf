/*
 * Pure helpers of the Writing workspace (pages/Writing.tsx) and of report
 * editing: a line / word diff, Markdown with KaTeX math, and turning an
 * assistant answer's [n] citations into the draft's [@N] markers.
 */
import katex from 'katex';
import { renderMarkdown } from './markdown';

export type DiffOp = { op: 'same' | 'add' | 'del'; text: string };

/** Longest-common-subsequence diff of two token lists. */
export function diffTokens(a: string[], b: string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  // keep it bounded: very long inputs fall back to "all removed, all added"
  if (n * m > 4_000_000) return [...a.map((t) => ({ op: 'del' as const, text: t })), ...b.map((t) => ({ op: 'add' as const, text: t }))];
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: DiffOp[] = [];
  const push = (op: DiffOp['op'], text: string) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      push('same', a[i]);
      i++;
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) push('del', a[i++]);
    else push('add', b[j++]);
  }
  while (i < n) push('del', a[i++]);
  while (j < m) push('add', b[j++]);
  return out;
}

/** Line diff (each line keeps its newline). */
export function diffLines(a: string, b: string): DiffOp[] {
  const split = (s: string) => s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return diffTokens(split(a), split(b));
}

/** Word diff (words with their following spaces). */
export function diffWords(a: string, b: string): DiffOp[] {
  const split = (s: string) => s.match(/\s+|[^\s]+/g) ?? [];
  return diffTokens(split(a), split(b));
}

/** Inserts text at pos, with a blank line around it when it lands between paragraphs. */
export function insertAt(draft: string, pos: number, text: string): { draft: string; cursor: number } {
  const p = Math.max(0, Math.min(pos, draft.length));
  const before = draft.slice(0, p);
  const after = draft.slice(p);
  const pre = before === '' || before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
  const post = after === '' || after.startsWith('\n\n') ? '' : after.startsWith('\n') ? '\n' : '\n\n';
  const ins = pre + text.trim() + post;
  return { draft: before + ins + after, cursor: p + ins.length };
}

/** An assistant answer's [k] markers as [@N] (map k -> N); unknown ones are dropped. */
export function answerToDraft(text: string, map: Map<number, number>): string {
  return text
    .replace(/\[(\d+)\]/g, (_, k) => {
      const n = map.get(Number(k));
      return n ? `[@${n}]` : '';
    })
    .replace(/ +([.,;:!?])/g, '$1');
}

const MATH = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])/g;

/**
 * Markdown to HTML with math: $$...$$ and \[...\] as display math, $...$
 * inline, rendered by KaTeX (errors shown in place, never thrown); code
 * spans and blocks are left alone. The Markdown is rendered (and sanitised)
 * by renderMarkdown without chat citation links; the math is put back
 * after sanitising, as KaTeX's own escaped output.
 */
export function renderDraft(md: string): string {
  return renderWithMath(md, { citations: false });
}

/* renderDraft's math rule over renderMarkdown with its options: a mission
 * report typesets the formulas its exports typeset, citations kept. */
export function renderWithMath(md: string, opts: Parameters<typeof renderMarkdown>[1]): string {
  const math: string[] = [];
  // keep code out of the math pass
  const parts = (md || '').split(/(```[\s\S]*?```|`[^`\n]*`)/g);
  const withTokens = parts
    .map((p, i) =>
      i % 2 === 1
        ? p
        : p.replace(MATH, (_, d1, d2, inl) => {
            const display = d1 !== undefined || d2 !== undefined;
            const tex = (d1 ?? d2 ?? inl) as string;
            math.push(katex.renderToString(tex, { displayMode: display, throwOnError: false, output: 'html' }));
            return `KATEXMATH${math.length - 1}X`;
          }),
    )
    .join('');
  const html = renderMarkdown(withTokens, opts);
  return html.replace(/KATEXMATH(\d+)X/g, (_, i) => math[Number(i)] ?? '');
}
