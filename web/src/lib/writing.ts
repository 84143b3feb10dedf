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

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const CODE = /(```[\s\S]*?```|`[^`\n]*`)/g;

/**
 * Footnotes, resolved as the report exports resolve them (one rule:
 * src/report/footnotes.h, both tested on tests/fixtures/footnotes.json):
 * definitions "[^label]: text" (a line outside fenced code, at most 3
 * spaces in, continued by lines indented 4 spaces or a tab) are taken out;
 * each reference outside code becomes its note's number in superscript
 * digits (numbered in order of first reference; "¹ ²" for adjacent ones,
 * a word joiner after emphasis so it still closes); the notes are listed
 * as "N. text" where the first definition stood (after a rule unless a
 * heading is just before), uncited ones last. Unchanged without a
 * definition. Labels `keep` accepts are left as written (the report tab
 * shows the verifier's [^vN] notes itself).
 */
export function resolveFootnotes(md: string, keep?: (label: string) => boolean): string {
  type Note = { label: string; text: string; num: number };
  const notes: Note[] = [];
  const lines = (md || '').split('\n');
  const body: string[] = [];
  let slot = -1; // the body line where the first definition stood
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const rest = line.slice(/^ {0,3}/.exec(line)![0].length);
    const def = /^\[\^([^\]\s]{1,64})\]:(.*)$/.exec(rest);
    if (rest.startsWith('```')) fence = !fence;
    else if (!fence && def && !keep?.(def[1])) {
      const parts = [def[2].trim()].filter(Boolean);
      while (i + 1 < lines.length && /^( {4}|\t)/.test(lines[i + 1]) && lines[i + 1].trim() !== '') parts.push(lines[++i].trim());
      if (slot < 0) slot = body.length;
      notes.push({ label: def[1], text: parts.join(' '), num: 0 });
      continue;
    }
    body.push(line);
  }
  if (!notes.length) return md || '';
  let next = 1;
  const resolve = (text: string): string => {
    let out = '';
    for (const [i, part] of text.split(CODE).entries()) {
      if (i % 2 === 1) {
        out += part;
        continue;
      }
      let at = 0;
      let afterRef = -1;
      for (const m of part.matchAll(/\[\^([^\]\s]{1,64})\]/g)) {
        const note = notes.find((n) => n.label === m[1]);
        if (!note) continue;
        out += part.slice(at, m.index);
        if (!note.num) note.num = next++;
        if (out.length === afterRef) out += '\u202f';
        else if (/[*_~]$/.test(out)) out += '&#8288;';
        out += String(note.num).replace(/\d/g, (d) => SUPERSCRIPT[Number(d)]);
        afterRef = out.length;
        at = m.index! + m[0].length;
      }
      out += part.slice(at);
    }
    return out;
  };
  // the body lines before the slot keep their newlines, as the C side cuts the text
  const beforeText = body.slice(0, slot).map((l) => `${l}\n`).join('');
  const before = resolve(beforeText).replace(/\s+$/, '');
  const after = resolve(body.slice(slot).join('\n'));
  for (const n of notes) if (!n.num) n.num = next++;
  const list = [...notes].sort((a, b) => a.num - b.num).map((n) => `${n.num}. ${n.text}\n`);
  const heading = /(^|\n) {0,3}#{1,6}([ \t][^\n]*)?$/.test(before);
  const rest = after.replace(/^(?:[ \t]*\n)+/, '');
  return `${before ? `${before}\n\n` : ''}${heading ? '' : '---\n\n'}${list.join('')}${/\S/.test(rest) ? `\n${rest}` : ''}`;
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
  return renderWithMath(resolveFootnotes(md), { citations: false });
}

/* renderDraft's math rule over renderMarkdown with its options: a mission
 * report typesets the formulas its exports typeset, citations kept. */
export function renderWithMath(md: string, opts: Parameters<typeof renderMarkdown>[1]): string {
  const math: string[] = [];
  // keep code out of the math pass
  const parts = (md || '').split(CODE);
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
