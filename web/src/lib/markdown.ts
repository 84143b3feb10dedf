/*
 * Markdown → safe HTML, with `[n]` citations turned into buttons-like links.
 *
 * marked renders (GFM tables included), DOMPurify sanitises (reports and chat
 * answers are model output: hostile by default), then a DOM walk over text
 * nodes — never inside <a>, <code> or <pre> — wraps every citation marker
 * `[3]`, `[3, 5]`, `[3-5]` in <a class="cite" data-cite="3" href="#ref-3">.
 * Clicks are handled by the page through event delegation on `data-cite`.
 */
import type * as C from './contract';
import { marked } from 'marked';
import DOMPurify from 'dompurify';

const CITE_RE = /\[(\d{1,4}(?:\s*[,;–-]\s*\d{1,4})*)\]/g;
const CITE_TEST = /\[\d{1,4}(?:\s*[,;–-]\s*\d{1,4})*\]/;

/** Expand "3, 5-7" into [3,5,6,7] (ranges capped to stay sane). */
export function parseCiteList(inner: string): number[] {
  const out: number[] = [];
  for (const part of inner.split(/[,;]/)) {
    const m = part.trim().match(/^(\d+)\s*(?:[–-]\s*(\d+))?$/);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (b < a || b - a > 50) {
      out.push(a);
      continue;
    }
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

const SKIP = new Set(['A', 'CODE', 'PRE', 'SCRIPT', 'STYLE']);
const REF_HEADING = /reference|sources|bibliograph|works cited|citations|참고|출처/i;

/**
 * Wrap citation markers in text nodes of `root`. When `known` is given, only
 * numbers in it become links (so "[2024]" in prose stays text).
 */
export function linkCitationsInDom(root: ParentNode, known?: Set<number>): number {
  const doc = (root as Node).ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root as Node, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let p = node.parentElement; p && p !== root; p = p.parentElement)
        if (SKIP.has(p.tagName) || p.hasAttribute('data-refs')) return NodeFilter.FILTER_REJECT;
      return CITE_TEST.test(node.nodeValue || '') ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
    },
  });
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  let count = 0;
  for (const node of nodes) {
    const text = node.nodeValue || '';
    const frag = doc.createDocumentFragment();
    let lastIdx = 0;
    CITE_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = CITE_RE.exec(text))) {
      const nums = parseCiteList(m[1]).filter((n) => !known || known.has(n));
      if (nums.length === 0) continue;
      frag.appendChild(doc.createTextNode(text.slice(lastIdx, m.index)));
      frag.appendChild(doc.createTextNode('['));
      nums.forEach((n, i) => {
        if (i) frag.appendChild(doc.createTextNode(', '));
        const a = doc.createElement('a');
        a.className = 'cite';
        a.setAttribute('href', `#ref-${n}`);
        a.setAttribute('data-cite', String(n));
        a.setAttribute('role', 'button');
        a.textContent = String(n);
        frag.appendChild(a);
        count++;
      });
      frag.appendChild(doc.createTextNode(']'));
      lastIdx = m.index + m[0].length;
    }
    frag.appendChild(doc.createTextNode(text.slice(lastIdx)));
    node.parentNode?.replaceChild(frag, node);
  }
  CITE_RE.lastIndex = 0;
  return count;
}

/** In the reference list, one reference per line even without blank lines between. */
export function hardBreakReferences(md: string): string {
  let inRefs = false;
  const lines = md.split(/\r?\n/);
  return lines
    .map((line, i) => {
      const h = line.match(/^#{1,6}\s+(.*)$/);
      if (h) {
        inRefs = REF_HEADING.test(h[1]);
        return line;
      }
      if (inRefs && /^\s*\[\d+\]/.test(line) && (lines[i + 1] ?? '').trim() !== '') return `${line.replace(/\s+$/, '')}  `;
      return line;
    })
    .join('\n');
}

/** The verifier's reasons, from the footnote definitions "[^v1]: Unverified: reason" of a report. */
export function parseFootnotes(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (md || '').matchAll(/^\[\^(v\d+)\]:\s*(.+)$/gm)) out.set(m[1], m[2].trim());
  return out;
}

const FN_RE = /\[\^(v\d+)\](:?)/g;

/**
 * Footnotes of unverified sentences: "*(unverified)*[^v1]" becomes the mark
 * with the verifier's reason on hover and a superscript link to the note;
 * the definition "[^v1]: …" gets its anchor.
 */
export function linkFootnotesInDom(root: ParentNode, notes: Map<string, string>): void {
  const doc = (root as Node).ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root as Node, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (/\[\^v\d+\]/.test(n.nodeValue || '')) nodes.push(n as Text);
  for (const node of nodes) {
    if (node.parentElement && SKIP.has(node.parentElement.tagName)) continue;
    const text = node.nodeValue || '';
    const frag = doc.createDocumentFragment();
    let last = 0;
    FN_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = FN_RE.exec(text))) {
      const label = m[1];
      const reason = notes.get(label) ?? '';
      frag.appendChild(doc.createTextNode(text.slice(last, m.index)));
      if (m[2]) {
        const def = doc.createElement('span');
        def.className = 'fn-def';
        def.id = `fn-${label}`;
        def.textContent = `†${label.slice(1)}`;
        frag.appendChild(def);
        frag.appendChild(doc.createTextNode(' '));
      } else {
        const a = doc.createElement('a');
        a.className = 'fn-ref';
        a.setAttribute('href', `#fn-${label}`);
        a.setAttribute('data-footnote', label);
        if (reason) a.setAttribute('title', reason);
        a.textContent = `†${label.slice(1)}`;
        frag.appendChild(a);
        // the "(unverified)" mark just before says why on hover too
        const prev = (m.index === 0 ? node.previousSibling : null) as HTMLElement | null;
        if (prev && prev.nodeType === 1 && /unverified/i.test(prev.textContent || '') && reason) {
          prev.setAttribute('title', reason);
          prev.classList.add('unverified-mark');
        }
      }
      last = m.index + m[0].length;
    }
    frag.appendChild(doc.createTextNode(text.slice(last)));
    node.parentNode?.replaceChild(frag, node);
  }
}

export function renderMarkdown(md: string, opts: { known?: Set<number>; citations?: boolean } = {}): string {
  const html = marked.parse(hardBreakReferences(md || ''), { gfm: true, breaks: false, async: false }) as string;
  const clean = DOMPurify.sanitize(html, { ADD_ATTR: ['target'] });
  if (opts.citations === false) return clean;
  const doc = new DOMParser().parseFromString(`<div id="__root">${clean}</div>`, 'text/html');
  const root = doc.getElementById('__root')!;
  // the reference list itself is not made of citations
  let inRefs = false;
  for (const el of Array.from(root.children)) {
    if (/^H[1-6]$/.test(el.tagName)) inRefs = REF_HEADING.test(el.textContent || '');
    else if (inRefs) {
      el.setAttribute('data-refs', '');
      el.classList.add('references');
    }
  }
  linkCitationsInDom(root, opts.known);
  if (/\[\^v\d+\]/.test(md || '')) linkFootnotesInDom(root, parseFootnotes(md));
  root.querySelectorAll('a[href^="http"]').forEach((a) => {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  });
  return root.innerHTML;
}

export interface Reference {
  n: number;
  note_id?: string;
  /** every note of this source cited in the report */
  notes?: string[];
  /** per occurrence of [n] in the text, in order: the notes cited there */
  cites?: string[][];
  kind?: string;
  filename?: string;
  authors?: string;
  year?: string;
  text: string;
  url: string;
  quote: string;
  document_id: string;
  page: string;
  title: string;
}

/**
 * Reference list at the end of a report: a "References"/"Sources"/"참고문헌"
 * heading followed by lines such as "[1] Title — https://…", "1. Title" or
 * "- [1] Title". Returns them by number.
 */
export function parseReferences(md: string): Map<number, Reference> {
  const out = new Map<number, Reference>();
  const lines = (md || '').split(/\r?\n/);
  let inRefs = false;
  for (const line of lines) {
    const h = line.match(/^#{1,6}\s+(.*)$/);
    if (h) {
      inRefs = /reference|sources|bibliograph|works cited|citations|참고|출처/i.test(h[1]);
      continue;
    }
    if (!inRefs) continue;
    const m = line.match(/^\s*(?:[-*]\s*)?(?:\[(\d+)\]:?|(\d+)[.)])\s+(.+)$/);
    if (!m) continue;
    const n = Number(m[1] ?? m[2]);
    const text = m[3].trim();
    const url = (text.match(/https?:\/\/[^\s)>\]]+/) || [''])[0];
    const quote = (text.match(/[“"]([^”"]{8,})[”"]/) || ['', ''])[1];
    out.set(n, { n, text, url, quote, document_id: '', page: '', title: text.replace(/https?:\/\/\S+/, '').replace(/[—–-]\s*$/, '').trim() });
  }
  return out;
}

/** The references of a report's JSON (meta.references), by number. */
export function referencesFromJson(list: C.ReportReference[]): Map<number, Reference> {
  const out = new Map<number, Reference>();
  for (const c of list) {
    out.set(c.n, {
      n: c.n,
      note_id: c.note_id ?? undefined,
      notes: c.notes,
      cites: c.cites,
      kind: c.kind,
      filename: c.filename || undefined,
      authors: c.authors || undefined,
      year: c.year ? String(c.year) : undefined,
      text: c.title ?? '',
      url: c.url ?? '',
      quote: '',
      document_id: c.document_id ?? '',
      page: c.page ? String(c.page) : '',
      title: c.title ?? c.filename ?? '',
    });
  }
  return out;
}
