/*
 * math.c - TeX math for the report exporters. See math.h.
 *
 * The parser reads a formula into a small tree (rows of atoms: identifiers,
 * numbers, operators, text; fractions, roots, scripts, fences, accents,
 * spaces, styled rows) and fails on anything outside the subset rather
 * than guessing, so that a formula is either converted whole or shown as
 * its source. The three writers walk the same tree. Depth and size are
 * bounded, so hostile input costs little.
 */
#include "report/math.h"

#include <stdlib.h>
#include <string.h>

#include "base/text.h"

#define MAX_DEPTH 48
#define MAX_SRC 20000

/* The marker: U+E000, the formula's number in decimal, U+E001. */
#define MARK_OPEN "\xEE\x80\x80"
#define MARK_CLOSE "\xEE\x80\x81"
/* The same in a URL, as md4c writes it in HTML. */
#define URL_OPEN "%EE%80%80"
#define URL_CLOSE "%EE%80%81"

/* ---- the tree ---- */

typedef enum {
  N_ROW,
  N_MI,
  N_MN,
  N_MO,
  N_TEXT,
  N_FRAC,
  N_SQRT,
  N_SCRIPT,
  N_FENCE,
  N_ACCENT,
  N_SPACE,
  N_STYLE,
  N_TABLE
} kind_t;

/* Operator classes (N_MO): spacing in Pango, n-ary handling in OMML. */
enum { OP_ORD, OP_BIN, OP_REL, OP_LARGE, OP_PUNCT, OP_LIMIT };
/* Styles (N_STYLE, and the variant a writer passes down). */
enum { ST_NONE, ST_ROMAN, ST_BOLD, ST_ITALIC, ST_BB, ST_CAL };
/* N_FRAC cls: a plain fraction, \\dfrac, \\tfrac, \\binom. */
enum { FR_PLAIN, FR_D, FR_T, FR_BINOM };
/* N_TABLE cls: a matrix (cells centred), cases (left), aligned (right,
 * left, right, ...: one equation a line), gathered (one centred cell a line). */
enum { TB_MATRIX, TB_CASES, TB_ALIGNED, TB_GATHERED };

typedef struct node {
  kind_t kind;
  char *text;         /* MI MN MO TEXT: the characters; ACCENT: the accent; FENCE, TABLE: open */
  char *close;        /* FENCE, TABLE: the closing delimiter ("" for none) */
  int cls;            /* MO: OP_*; MI: 1 upright (function name, upper-case Greek); SPACE: width in
                         1/18 em; STYLE: ST_*; FRAC: 1 \dfrac, 2 \tfrac */
  struct node *a, *b; /* FRAC: num, den; SQRT: body, index; SCRIPT: base; ACCENT, FENCE, STYLE: body */
  struct node *sub, *sup;
  struct node **kids; /* ROW: its items; TABLE: its lines, each a ROW of cells (ROWs) */
  size_t n;
} node_t;

static char *xstrndup(const char *s, size_t n) {
  char *d = strndup(s, n);
  if (!d) abort();
  return d;
}

static void *xcalloc(size_t n, size_t s) {
  void *p = calloc(n, s);
  if (!p) abort();
  return p;
}

static node_t *mk(kind_t k, const char *text, int cls) {
  node_t *x = xcalloc(1, sizeof *x);
  x->kind = k;
  x->cls = cls;
  if (text) x->text = xstrndup(text, strlen(text));
  return x;
}

static void node_free(node_t *x) {
  if (!x) return;
  for (size_t i = 0; i < x->n; i++) node_free(x->kids[i]);
  free(x->kids);
  node_free(x->a);
  node_free(x->b);
  node_free(x->sub);
  node_free(x->sup);
  free(x->text);
  free(x->close);
  free(x);
}

static void row_add(node_t *row, node_t *k) {
  node_t **kk = realloc(row->kids, (row->n + 1) * sizeof *kk);
  if (!kk) abort();
  row->kids = kk;
  row->kids[row->n++] = k;
}

/* ---- symbol tables ---- */

typedef struct {
  const char *name, *utf8;
  int cls;
} sym_t;

static const sym_t GREEK[] = {
    {"alpha", "α", 0},      {"beta", "β", 0},     {"gamma", "γ", 0},      {"delta", "δ", 0},  {"epsilon", "ϵ", 0},
    {"varepsilon", "ε", 0}, {"zeta", "ζ", 0},     {"eta", "η", 0},        {"theta", "θ", 0},  {"vartheta", "ϑ", 0},
    {"iota", "ι", 0},       {"kappa", "κ", 0},    {"lambda", "λ", 0},     {"mu", "μ", 0},     {"nu", "ν", 0},
    {"xi", "ξ", 0},         {"omicron", "ο", 0},  {"pi", "π", 0},         {"varpi", "ϖ", 0},  {"rho", "ρ", 0},
    {"varrho", "ϱ", 0},     {"sigma", "σ", 0},    {"varsigma", "ς", 0},   {"tau", "τ", 0},    {"upsilon", "υ", 0},
    {"phi", "ϕ", 0},        {"varphi", "φ", 0},   {"chi", "χ", 0},        {"psi", "ψ", 0},    {"omega", "ω", 0},
    {"Gamma", "Γ", 1},      {"Delta", "Δ", 1},    {"Theta", "Θ", 1},      {"Lambda", "Λ", 1}, {"Xi", "Ξ", 1},
    {"Pi", "Π", 1},         {"Sigma", "Σ", 1},    {"Upsilon", "Υ", 1},    {"Phi", "Φ", 1},    {"Psi", "Ψ", 1},
    {"Omega", "Ω", 1},      {"infty", "∞", 1},    {"partial", "∂", 1},    {"nabla", "∇", 1},  {"ell", "ℓ", 0},
    {"hbar", "ℏ", 0},       {"emptyset", "∅", 1}, {"varnothing", "∅", 1}, {"aleph", "ℵ", 1},  {"Re", "ℜ", 1},
    {"Im", "ℑ", 1},         {"prime", "′", 1},    {"degree", "°", 1},     {NULL, NULL, 0}};

static const sym_t OPS[] = {{"sum", "∑", OP_LARGE},
                            {"prod", "∏", OP_LARGE},
                            {"coprod", "∐", OP_LARGE},
                            {"int", "∫", OP_LARGE},
                            {"iint", "∬", OP_LARGE},
                            {"iiint", "∭", OP_LARGE},
                            {"oint", "∮", OP_LARGE},
                            {"bigcup", "⋃", OP_LARGE},
                            {"bigcap", "⋂", OP_LARGE},
                            {"leq", "≤", OP_REL},
                            {"le", "≤", OP_REL},
                            {"geq", "≥", OP_REL},
                            {"ge", "≥", OP_REL},
                            {"neq", "≠", OP_REL},
                            {"ne", "≠", OP_REL},
                            {"approx", "≈", OP_REL},
                            {"sim", "∼", OP_REL},
                            {"simeq", "≃", OP_REL},
                            {"cong", "≅", OP_REL},
                            {"equiv", "≡", OP_REL},
                            {"propto", "∝", OP_REL},
                            {"lt", "<", OP_REL},
                            {"gt", ">", OP_REL},
                            {"colon", ":", OP_PUNCT},
                            {"ll", "≪", OP_REL},
                            {"gg", "≫", OP_REL},
                            {"to", "→", OP_REL},
                            {"rightarrow", "→", OP_REL},
                            {"leftarrow", "←", OP_REL},
                            {"gets", "←", OP_REL},
                            {"Rightarrow", "⇒", OP_REL},
                            {"Leftarrow", "⇐", OP_REL},
                            {"leftrightarrow", "↔", OP_REL},
                            {"Leftrightarrow", "⇔", OP_REL},
                            {"iff", "⇔", OP_REL},
                            {"implies", "⇒", OP_REL},
                            {"mapsto", "↦", OP_REL},
                            {"in", "∈", OP_REL},
                            {"notin", "∉", OP_REL},
                            {"ni", "∋", OP_REL},
                            {"subset", "⊂", OP_REL},
                            {"supset", "⊃", OP_REL},
                            {"subseteq", "⊆", OP_REL},
                            {"supseteq", "⊇", OP_REL},
                            {"perp", "⊥", OP_REL},
                            {"parallel", "∥", OP_REL},
                            {"mid", "∣", OP_REL},
                            {"times", "×", OP_BIN},
                            {"cdot", "⋅", OP_BIN},
                            {"div", "÷", OP_BIN},
                            {"pm", "±", OP_BIN},
                            {"mp", "∓", OP_BIN},
                            {"cup", "∪", OP_BIN},
                            {"cap", "∩", OP_BIN},
                            {"setminus", "∖", OP_BIN},
                            {"circ", "∘", OP_BIN},
                            {"ast", "∗", OP_BIN},
                            {"star", "⋆", OP_BIN},
                            {"oplus", "⊕", OP_BIN},
                            {"otimes", "⊗", OP_BIN},
                            {"wedge", "∧", OP_BIN},
                            {"land", "∧", OP_BIN},
                            {"vee", "∨", OP_BIN},
                            {"lor", "∨", OP_BIN},
                            {"neg", "¬", OP_ORD},
                            {"lnot", "¬", OP_ORD},
                            {"forall", "∀", OP_ORD},
                            {"exists", "∃", OP_ORD},
                            {"ldots", "…", OP_ORD},
                            {"dots", "…", OP_ORD},
                            {"cdots", "⋯", OP_ORD},
                            {"vdots", "⋮", OP_ORD},
                            {"ddots", "⋱", OP_ORD},
                            {"langle", "⟨", OP_ORD},
                            {"rangle", "⟩", OP_ORD},
                            {"lvert", "|", OP_ORD},
                            {"rvert", "|", OP_ORD},
                            {"vert", "|", OP_ORD},
                            {"lVert", "‖", OP_ORD},
                            {"rVert", "‖", OP_ORD},
                            {"Vert", "‖", OP_ORD},
                            {"lfloor", "⌊", OP_ORD},
                            {"rfloor", "⌋", OP_ORD},
                            {"lceil", "⌈", OP_ORD},
                            {"rceil", "⌉", OP_ORD},
                            {"{", "{", OP_ORD},
                            {"}", "}", OP_ORD},
                            {"|", "‖", OP_ORD},
                            {"%", "%", OP_ORD},
                            {"$", "$", OP_ORD},
                            {"#", "#", OP_ORD},
                            {"&", "&", OP_ORD},
                            {"_", "_", OP_ORD},
                            {NULL, NULL, 0}};

static const char *FUNCS[] = {"ln",  "log", "lg",   "exp",  "sin",    "cos",    "tan",    "cot",
                              "sec", "csc", "sinh", "cosh", "tanh",   "arcsin", "arccos", "arctan",
                              "det", "dim", "deg",  "gcd",  "arg",    "ker",    "Pr",     "lim",
                              "max", "min", "sup",  "inf",  "liminf", "limsup", "mod",    NULL};

static const struct {
  const char *name, *mathml, *combining;
} ACCENTS[] = {{"hat", "^", "\xCC\x82"},
               {"widehat", "^", "\xCC\x82"},
               {"bar", "\xC2\xAF", "\xCC\x84"},
               {"overline", "\xC2\xAF", "\xCC\x85"},
               {"vec", "\xE2\x86\x92", "\xE2\x83\x97"},
               {"tilde", "~", "\xCC\x83"},
               {"widetilde", "~", "\xCC\x83"},
               {"dot", "\xCB\x99", "\xCC\x87"},
               {"ddot", "\xC2\xA8", "\xCC\x88"},
               {NULL, NULL, NULL}};

static const sym_t *sym_find(const sym_t *t, const char *name) {
  for (; t->name; t++)
    if (!strcmp(t->name, name)) return t;
  return NULL;
}

static int is_limit_func(const char *name) {
  return !strcmp(name, "lim") || !strcmp(name, "max") || !strcmp(name, "min") || !strcmp(name, "sup") ||
         !strcmp(name, "inf") || !strcmp(name, "liminf") || !strcmp(name, "limsup") || !strcmp(name, "Pr") ||
         !strcmp(name, "det") || !strcmp(name, "gcd");
}

/* ---- the parser ---- */

typedef struct {
  const char *s;
  size_t i, n;
  int depth, bad;
} parser_t;

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void skip_ws(parser_t *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

/* Reads a command name after '\': letters, or one other character. */
static int read_cmd(parser_t *p, char *name, size_t cap) {
  size_t k = 0;
  if (p->i >= p->n) return -1;
  if (!is_alpha(p->s[p->i])) {
    name[0] = p->s[p->i++];
    name[1] = 0;
    return 0;
  }
  while (p->i < p->n && is_alpha(p->s[p->i])) {
    if (k + 1 >= cap) return -1;
    name[k++] = p->s[p->i++];
  }
  name[k] = 0;
  return 0;
}

static node_t *parse_row(parser_t *p, int stop);
static node_t *parse_atom(parser_t *p);

/* One argument: a {group} or a single atom. */
static node_t *parse_arg(parser_t *p) {
  skip_ws(p);
  if (p->i >= p->n) return NULL;
  if (p->s[p->i] == '{') {
    p->i++;
    node_t *r = parse_row(p, '}');
    if (!r) return NULL;
    if (p->i >= p->n || p->s[p->i] != '}') {
      node_free(r);
      return NULL;
    }
    p->i++;
    return r;
  }
  if (p->s[p->i] == '}' || p->s[p->i] == '^' || p->s[p->i] == '_') return NULL;
  if (p->s[p->i] >= '0' && p->s[p->i] <= '9') { /* x^23 is x^2 then 3 */
    char d[2] = {p->s[p->i++], 0};
    return mk(N_MN, d, 0);
  }
  return parse_atom(p);
}

/* The raw text of a {group} (for \text): braces balanced, \{ \} \\ \$ kept
 * as the character. */
static node_t *parse_text_arg(parser_t *p) {
  skip_ws(p);
  if (p->i >= p->n || p->s[p->i] != '{') return NULL;
  p->i++;
  buf_t b = BUF_INIT;
  buf_init(&b);
  int depth = 1;
  while (p->i < p->n) {
    char c = p->s[p->i++];
    if (c == '\\' && p->i < p->n && strchr("{}$%&#_\\ ", p->s[p->i])) {
      buf_putc(&b, p->s[p->i++]);
      continue;
    }
    if (c == '{') depth++;
    if (c == '}' && --depth == 0) {
      node_t *x = mk(N_TEXT, b.data ? b.data : "", 0);
      buf_free(&b);
      return x;
    }
    buf_putc(&b, c);
  }
  buf_free(&b);
  return NULL;
}

/* A delimiter after \left, \right, \big...: a character or a command. "." is none. */
static char *parse_delim(parser_t *p) {
  skip_ws(p);
  if (p->i >= p->n) return NULL;
  char c = p->s[p->i];
  if (strchr("()[]|./<>", c)) {
    p->i++;
    if (c == '.') return strdup("");
    if (c == '<') return strdup("⟨");
    if (c == '>') return strdup("⟩");
    char d[2] = {c, 0};
    return strdup(d);
  }
  if (c != '\\') return NULL;
  p->i++;
  char name[32];
  if (read_cmd(p, name, sizeof name) < 0) return NULL;
  const sym_t *s = sym_find(OPS, name);
  if (!s || (s->cls != OP_ORD)) return NULL;
  return strdup(s->utf8);
}

static node_t *parse_env(parser_t *p);

static node_t *parse_command(parser_t *p) {
  char name[32];
  if (read_cmd(p, name, sizeof name) < 0) return NULL;
  const sym_t *s;
  if ((s = sym_find(GREEK, name))) return mk(N_MI, s->utf8, s->cls);
  if ((s = sym_find(OPS, name))) return mk(N_MO, s->utf8, s->cls);
  for (int i = 0; FUNCS[i]; i++)
    if (!strcmp(FUNCS[i], name)) return mk(N_MI, name, is_limit_func(name) ? 2 : 1);
  for (int i = 0; ACCENTS[i].name; i++)
    if (!strcmp(ACCENTS[i].name, name)) {
      node_t *body = parse_arg(p);
      if (!body) return NULL;
      node_t *x = mk(N_ACCENT, NULL, i);
      x->a = body;
      return x;
    }
  static const struct {
    const char *name;
    int w;
  } SPACES[] = {{",", 3}, {":", 4}, {">", 4}, {";", 5}, {" ", 4}, {"quad", 18}, {"qquad", 36}, {"!", 0}, {NULL, 0}};
  for (int i = 0; SPACES[i].name; i++)
    if (!strcmp(SPACES[i].name, name)) return mk(N_SPACE, NULL, SPACES[i].w);
  if (!strcmp(name, "frac") || !strcmp(name, "dfrac") || !strcmp(name, "tfrac") || !strcmp(name, "binom")) {
    node_t *x = mk(N_FRAC, NULL, name[0] == 'd' ? FR_D : name[0] == 't' ? FR_T : name[0] == 'b' ? FR_BINOM : FR_PLAIN);
    x->a = parse_arg(p);
    x->b = x->a ? parse_arg(p) : NULL;
    if (!x->b) {
      node_free(x);
      return NULL;
    }
    return x;
  }
  if (!strcmp(name, "sqrt")) {
    node_t *x = mk(N_SQRT, NULL, 0);
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '[') {
      p->i++;
      x->b = parse_row(p, ']');
      if (!x->b || p->i >= p->n || p->s[p->i] != ']') {
        node_free(x);
        return NULL;
      }
      p->i++;
    }
    x->a = parse_arg(p);
    if (!x->a) {
      node_free(x);
      return NULL;
    }
    return x;
  }
  if (!strcmp(name, "text") || !strcmp(name, "textrm") || !strcmp(name, "mbox") || !strcmp(name, "textnormal"))
    return parse_text_arg(p);
  if (!strcmp(name, "operatorname")) {
    node_t *t = parse_text_arg(p);
    if (t) t->kind = N_MI, t->cls = 1;
    return t;
  }
  if (!strcmp(name, "mathrm") || !strcmp(name, "mathbf") || !strcmp(name, "mathit") || !strcmp(name, "textbf") ||
      !strcmp(name, "textit") || !strcmp(name, "boldsymbol") || !strcmp(name, "mathbb") || !strcmp(name, "mathcal")) {
    int st = !strcmp(name, "mathrm")                              ? ST_ROMAN
             : !strcmp(name, "mathbb")                            ? ST_BB
             : !strcmp(name, "mathcal")                           ? ST_CAL
             : !strcmp(name, "mathit") || !strcmp(name, "textit") ? ST_ITALIC
                                                                  : ST_BOLD;
    node_t *body = name[0] == 't' ? parse_text_arg(p) : parse_arg(p);
    if (!body) return NULL;
    node_t *x = mk(N_STYLE, NULL, st);
    x->a = body;
    return x;
  }
  if (!strcmp(name, "left")) {
    char *open = parse_delim(p);
    if (!open) return NULL;
    node_t *x = mk(N_FENCE, NULL, 0);
    x->text = open;
    x->a = parse_row(p, 'R');
    if (!x->a || p->i + 6 > p->n || strncmp(p->s + p->i, "\\right", 6)) {
      node_free(x);
      return NULL;
    }
    p->i += 6;
    x->close = parse_delim(p);
    if (!x->close) {
      node_free(x);
      return NULL;
    }
    return x;
  }
  if (!strcmp(name, "big") || !strcmp(name, "Big") || !strcmp(name, "bigg") || !strcmp(name, "Bigg") ||
      !strcmp(name, "bigl") || !strcmp(name, "bigr") || !strcmp(name, "Bigl") || !strcmp(name, "Bigr")) {
    char *d = parse_delim(p);
    if (!d) return NULL;
    node_t *x = mk(N_MO, d, OP_ORD);
    free(d);
    return x;
  }
  if (!strcmp(name, "begin")) return parse_env(p);
  if (!strcmp(name, "displaystyle") || !strcmp(name, "textstyle") || !strcmp(name, "limits") ||
      !strcmp(name, "nolimits"))
    return mk(N_SPACE, NULL, 0);
  return NULL; /* unknown: the formula is shown as its source */
}

static node_t *parse_atom(parser_t *p) {
  skip_ws(p);
  if (p->i >= p->n) return NULL;
  const char *s = p->s;
  char c = s[p->i];
  if (c == '{') {
    if (++p->depth > MAX_DEPTH) return NULL;
    node_t *r = parse_arg(p);
    p->depth--;
    return r;
  }
  if (c == '\\') {
    p->i++;
    if (++p->depth > MAX_DEPTH) return NULL;
    node_t *r = parse_command(p);
    p->depth--;
    return r;
  }
  if (c >= '0' && c <= '9') {
    size_t st = p->i;
    while (p->i < p->n && ((s[p->i] >= '0' && s[p->i] <= '9') ||
                           (s[p->i] == '.' && p->i + 1 < p->n && s[p->i + 1] >= '0' && s[p->i + 1] <= '9')))
      p->i++;
    char *t = xstrndup(s + st, p->i - st);
    node_t *x = mk(N_MN, t, 0);
    free(t);
    return x;
  }
  if (is_alpha(c)) {
    char t[2] = {c, 0};
    p->i++;
    return mk(N_MI, t, 0);
  }
  p->i++;
  switch (c) {
    case '+':
      return mk(N_MO, "+", OP_BIN);
    case '-':
      return mk(N_MO, "−", OP_BIN);
    case '*':
      return mk(N_MO, "∗", OP_BIN);
    case '=':
    case '<':
    case '>': {
      char t[2] = {c, 0};
      return mk(N_MO, t, OP_REL);
    }
    case ':':
      return mk(N_MO, ":", OP_REL);
    case ',':
    case ';':
      return mk(N_MO, c == ',' ? "," : ";", OP_PUNCT);
    case '\'':
      return mk(N_MO, "′", OP_ORD);
    case '~':
      return mk(N_SPACE, NULL, 4);
    case '(':
    case ')':
    case '[':
    case ']':
    case '|':
    case '/':
    case '!':
    case '.':
    case '?':
    case '@': {
      char t[2] = {c, 0};
      return mk(N_MO, t, OP_ORD);
    }
    default:
      break;
  }
  if ((unsigned char)c >= 0x80) { /* a character typed as itself (α, ≤, 가) */
    size_t i = p->i - 1;
    text_utf8_next(s, p->n, &i);
    char *t = xstrndup(s + p->i - 1, i - (p->i - 1));
    p->i = i;
    node_t *x = mk(N_MI, t, 1);
    free(t);
    return x;
  }
  return NULL; /* & # % ^ _ } \0 ...: outside the subset */
}

/* At the end of a table cell: '&', a line break \\ or \end. */
static int cell_end(const parser_t *p) {
  const char *s = p->s + p->i;
  size_t left = p->n - p->i;
  return s[0] == '&' || (left >= 2 && !strncmp(s, "\\\\", 2)) ||
         (left >= 4 && !strncmp(s, "\\end", 4) && (left == 4 || !is_alpha(s[4])));
}

/* Items until the end, or the stop character ('}' or ']'), or \right (stop
 * 'R'), or the end of a table cell (stop '&'). */
static node_t *parse_row(parser_t *p, int stop) {
  if (++p->depth > MAX_DEPTH) return NULL;
  node_t *row = mk(N_ROW, NULL, 0);
  for (;;) {
    skip_ws(p);
    if (p->i >= p->n) {
      if (stop) goto fail;
      break;
    }
    char c = p->s[p->i];
    if (stop == '}' && c == '}') break;
    if (stop == ']' && c == ']') break;
    if (stop == 'R' && p->i + 6 <= p->n && !strncmp(p->s + p->i, "\\right", 6) &&
        (p->i + 6 == p->n || !is_alpha(p->s[p->i + 6])))
      break;
    if (stop == '&' && cell_end(p)) break;
    node_t *atom;
    if (c == '^' || c == '_')
      atom = mk(N_ROW, NULL, 0); /* a script with nothing before it */
    else if (!(atom = parse_atom(p)))
      goto fail;
    while (1) {
      skip_ws(p);
      if (p->i >= p->n || (p->s[p->i] != '^' && p->s[p->i] != '_')) break;
      int up = p->s[p->i] == '^';
      p->i++;
      if (atom->kind != N_SCRIPT) {
        node_t *sc = mk(N_SCRIPT, NULL, 0);
        sc->a = atom;
        atom = sc;
      }
      node_t **slot = up ? &atom->sup : &atom->sub;
      if (*slot) { /* x^a^b: a double script */
        node_free(atom);
        goto fail;
      }
      if (!(*slot = parse_arg(p))) {
        node_free(atom);
        goto fail;
      }
    }
    row_add(row, atom);
  }
  p->depth--;
  return row;
fail:
  node_free(row);
  return NULL;
}

/* The environments understood, with their delimiters. */
static const struct {
  const char *name, *open, *close;
  int cls;
} ENVS[] = {{"matrix", "", "", TB_MATRIX},   {"smallmatrix", "", "", TB_MATRIX}, {"pmatrix", "(", ")", TB_MATRIX},
            {"bmatrix", "[", "]", TB_MATRIX}, {"Bmatrix", "{", "}", TB_MATRIX},   {"vmatrix", "|", "|", TB_MATRIX},
            {"Vmatrix", "‖", "‖", TB_MATRIX}, {"cases", "{", "", TB_CASES},       {"dcases", "{", "", TB_CASES},
            {"aligned", "", "", TB_ALIGNED},  {"align", "", "", TB_ALIGNED},      {"align*", "", "", TB_ALIGNED},
            {"split", "", "", TB_ALIGNED},    {"gathered", "", "", TB_GATHERED},  {"gather", "", "", TB_GATHERED},
            {"gather*", "", "", TB_GATHERED}, {NULL, NULL, NULL, 0}};

#define MAX_LINES 200
#define MAX_CELLS 40

/* The {name} after \begin or \end: letters and '*'. */
static int read_env_name(parser_t *p, char *name, size_t cap) {
  skip_ws(p);
  if (p->i >= p->n || p->s[p->i] != '{') return -1;
  size_t k = 0, i = p->i + 1;
  while (i < p->n && (is_alpha(p->s[i]) || p->s[i] == '*')) {
    if (k + 1 >= cap) return -1;
    name[k++] = p->s[i++];
  }
  if (i >= p->n || p->s[i] != '}') return -1;
  name[k] = 0;
  p->i = i + 1;
  return 0;
}

/* \begin{env} a & b \\ c & d \end{env} (after "\begin"): lines of cells; a
 * trailing \\ adds no empty line, the spacing of \\[2pt] is skipped. */
static node_t *parse_env(parser_t *p) {
  char name[24], end[24];
  if (read_env_name(p, name, sizeof name) < 0) return NULL;
  int e = 0;
  while (ENVS[e].name && strcmp(ENVS[e].name, name)) e++;
  if (!ENVS[e].name) return NULL;
  node_t *t = mk(N_TABLE, ENVS[e].open, ENVS[e].cls);
  t->close = xstrndup(ENVS[e].close, strlen(ENVS[e].close));
  node_t *line = mk(N_ROW, NULL, 0);
  for (;;) {
    node_t *cell = parse_row(p, '&');
    if (!cell || p->i >= p->n || line->n >= MAX_CELLS) {
      node_free(cell);
      goto fail;
    }
    row_add(line, cell);
    if (p->s[p->i] == '&') {
      p->i++;
      continue;
    }
    int last = p->s[p->i + 1] == 'e'; /* \end, else \\ */
    p->i += last ? 4 : 2;
    if (!last) {
      skip_ws(p);
      if (p->i < p->n && p->s[p->i] == '[') { /* \\[2pt] */
        while (p->i < p->n && p->s[p->i] != ']') p->i++;
        if (p->i++ >= p->n) goto fail;
      }
    }
    int empty = line->n == 1 && line->kids[0]->n == 0;
    if (!(last && empty && t->n)) { /* "a \\ b \\ \end": two lines, not three */
      if (t->n >= MAX_LINES) goto fail;
      row_add(t, line);
      line = NULL;
    }
    if (last) break;
    line = mk(N_ROW, NULL, 0);
  }
  node_free(line);
  if (read_env_name(p, end, sizeof end) < 0 || strcmp(end, name)) {
    node_free(t);
    return NULL;
  }
  return t;
fail:
  node_free(line);
  node_free(t);
  return NULL;
}

/* The tree of a source ($...$, $$...$$, \[...\]), or NULL outside the subset. */
static node_t *parse_source(const char *src) {
  size_t n = strlen(src), a, b;
  if (n >= 4 && !strncmp(src, "$$", 2) && !strcmp(src + n - 2, "$$"))
    a = 2, b = n - 2;
  else if (n >= 4 && !strncmp(src, "\\[", 2) && !strcmp(src + n - 2, "\\]"))
    a = 2, b = n - 2;
  else if (n >= 2 && src[0] == '$' && src[n - 1] == '$')
    a = 1, b = n - 1;
  else
    return NULL;
  if (b - a > MAX_SRC || b <= a) return NULL;
  parser_t p = {.s = src + a, .n = b - a};
  node_t *r = parse_row(&p, 0);
  if (r && r->n == 0) {
    node_free(r);
    return NULL;
  }
  return r;
}

int rm_is_display(const char *src) {
  return src && (!strncmp(src, "$$", 2) || !strncmp(src, "\\[", 2));
}

/* ---- writing helpers ---- */

void rm_escape(buf_t *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
      case '<':
        buf_puts(out, "&lt;");
        break;
      case '>':
        buf_puts(out, "&gt;");
        break;
      case '&':
        buf_puts(out, "&amp;");
        break;
      case '"':
        buf_puts(out, "&quot;");
        break;
      case '\'':
        buf_puts(out, "&#39;");
        break;
      default:
        buf_putc(out, s[i]);
    }
  }
}

static void esc(buf_t *out, const char *s) {
  rm_escape(out, s, strlen(s));
}

/* A letter or digit in a style (bold: the mathematical bold letters; bb:
 * double-struck; cal: script capitals). Other characters as they are. */
static void put_styled(buf_t *out, const char *s, int st, int escape) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    unsigned long cp = 0;
    if (st == ST_BOLD) {
      if (c >= 'A' && c <= 'Z') cp = 0x1D400 + (c - 'A');
      if (c >= 'a' && c <= 'z') cp = 0x1D41A + (c - 'a');
      if (c >= '0' && c <= '9') cp = 0x1D7CE + (c - '0');
    } else if (st == ST_BB) {
      static const char *const SPECIAL = "CHNPQRZ";
      static const unsigned long SPECIAL_CP[] = {0x2102, 0x210D, 0x2115, 0x2119, 0x211A, 0x211D, 0x2124};
      const char *k = c ? strchr(SPECIAL, c) : NULL;
      if (k)
        cp = SPECIAL_CP[k - SPECIAL];
      else if (c >= 'A' && c <= 'Z')
        cp = 0x1D538 + (c - 'A');
      else if (c >= '0' && c <= '9')
        cp = 0x1D7D8 + (c - '0');
    } else if (st == ST_CAL) {
      static const char *const SPECIAL = "BEFHILMR";
      static const unsigned long SPECIAL_CP[] = {0x212C, 0x2130, 0x2131, 0x210B, 0x2110, 0x2112, 0x2133, 0x211B};
      const char *k = c ? strchr(SPECIAL, c) : NULL;
      if (k)
        cp = SPECIAL_CP[k - SPECIAL];
      else if (c >= 'A' && c <= 'Z')
        cp = 0x1D49C + (c - 'A');
    }
    if (cp)
      text_utf8_put(out, cp);
    else if (escape)
      rm_escape(out, s, 1);
    else
      buf_putc(out, *s);
  }
}

static int single(const node_t *x) {
  while (x && x->kind == N_ROW && x->n == 1) x = x->kids[0];
  return x && x->kind != N_ROW;
}

static const node_t *unwrap(const node_t *x) {
  while (x && x->kind == N_ROW && x->n == 1) x = x->kids[0];
  return x;
}

/* ---- MathML ---- */

static void ml(buf_t *o, const node_t *x, int st);

/* One child of a fixed-arity element: a row becomes one <mrow>. */
static void ml_one(buf_t *o, const node_t *x, int st) {
  x = unwrap(x);
  if (!x || (x->kind == N_ROW && x->n == 0)) {
    buf_puts(o, "<mrow></mrow>");
    return;
  }
  if (x->kind == N_ROW) {
    buf_puts(o, "<mrow>");
    ml(o, x, st);
    buf_puts(o, "</mrow>");
  } else
    ml(o, x, st);
}

static int one_char(const char *s) {
  size_t i = 0, n = strlen(s);
  if (!n) return 0;
  text_utf8_next(s, n, &i);
  return i == n;
}

/* 1 when the item i of a row is a function name (\sin, \log_2) that wants
 * a thin space before its argument: something follows that is not a
 * bracket. */
static int fn_space(const node_t *row, size_t i) {
  const node_t *k = unwrap(row->kids[i]);
  if (k && k->kind == N_SCRIPT) k = unwrap(k->a);
  if (!k || k->kind != N_MI || !k->cls || one_char(k->text) || i + 1 >= row->n) return 0;
  const node_t *next = row->kids[i + 1];
  return !(next->kind == N_MO && (!strcmp(next->text, "(") || !strcmp(next->text, "["))) && next->kind != N_FENCE;
}

static void ml_leaf(buf_t *o, const char *tag, const node_t *x, int st) {
  buf_printf(o, "<%s", tag);
  if (!strcmp(tag, "mi") && one_char(x->text) && (st == ST_ROMAN || (x->cls && st != ST_ITALIC)))
    buf_puts(o, " mathvariant=\"normal\"");
  buf_putc(o, '>');
  put_styled(o, x->text, st, 1);
  buf_printf(o, "</%s>", tag);
}

/* A fence of a \\left...\\right or of an environment ("" for none). */
static void ml_fence(buf_t *o, const char *delim, const char *form) {
  if (!*delim) return;
  buf_printf(o, "<mo fence=\"true\" form=\"%s\">", form);
  esc(o, delim);
  buf_puts(o, "</mo>");
}

/* The number of columns of a table: its longest line. */
static size_t table_cols(const node_t *x) {
  size_t cols = 0;
  for (size_t i = 0; i < x->n; i++)
    if (x->kids[i]->n > cols) cols = x->kids[i]->n;
  return cols;
}

static void ml_table(buf_t *o, const node_t *x, int st) {
  size_t cols = table_cols(x);
  buf_puts(o, "<mrow>");
  ml_fence(o, x->text, "prefix");
  buf_puts(o, "<mtable>");
  for (size_t i = 0; i < x->n; i++) {
    buf_puts(o, "<mtr>");
    for (size_t j = 0; j < cols; j++) {
      /* aligned: right, left, ... joined at the & (no padding between) */
      const char *align = x->cls == TB_CASES     ? "left"
                          : x->cls == TB_ALIGNED ? (j % 2 ? "left" : "right")
                                                 : "center";
      buf_printf(o, "<mtd columnalign=\"%s\" style=\"text-align:%s%s\">", align, align,
                 x->cls == TB_ALIGNED ? (j % 2 ? ";padding-left:0" : ";padding-right:0") : "");
      if (j < x->kids[i]->n) ml(o, x->kids[i]->kids[j], st);
      buf_puts(o, "</mtd>");
    }
    buf_puts(o, "</mtr>");
  }
  buf_puts(o, "</mtable>");
  ml_fence(o, x->close, "postfix");
  buf_puts(o, "</mrow>");
}

static void ml(buf_t *o, const node_t *x, int st) {
  switch (x->kind) {
    case N_ROW:
      for (size_t i = 0; i < x->n; i++) {
        ml(o, x->kids[i], st);
        if (fn_space(x, i)) buf_puts(o, "<mspace width=\"0.1667em\"></mspace>");
      }
      break;
    case N_MI:
      ml_leaf(o, "mi", x, st);
      break;
    case N_MN:
      ml_leaf(o, "mn", x, st);
      break;
    case N_MO:
      /* a bracket or slash typed as a character does not stretch or space
       * (only \left...\right fences do), as in TeX */
      buf_puts(o, x->cls == OP_LARGE ? "<mo largeop=\"true\">"
                  : x->cls == OP_ORD ? "<mo stretchy=\"false\" lspace=\"0em\" rspace=\"0em\">"
                                     : "<mo>");
      esc(o, x->text);
      buf_puts(o, "</mo>");
      break;
    case N_TEXT:
      buf_puts(o, "<mtext>");
      put_styled(o, x->text, st, 1);
      buf_puts(o, "</mtext>");
      break;
    case N_FRAC:
      if (x->cls == FR_D || x->cls == FR_T)
        buf_printf(o, "<mstyle displaystyle=\"%s\">", x->cls == FR_D ? "true" : "false");
      if (x->cls == FR_BINOM) buf_puts(o, "<mrow><mo>(</mo>");
      buf_puts(o, x->cls == FR_BINOM ? "<mfrac linethickness=\"0\">" : "<mfrac>");
      ml_one(o, x->a, st);
      ml_one(o, x->b, st);
      buf_puts(o, "</mfrac>");
      if (x->cls == FR_BINOM) buf_puts(o, "<mo>)</mo></mrow>");
      if (x->cls == FR_D || x->cls == FR_T) buf_puts(o, "</mstyle>");
      break;
    case N_SQRT:
      if (x->b) {
        buf_puts(o, "<mroot>");
        ml_one(o, x->a, st);
        ml_one(o, x->b, st);
        buf_puts(o, "</mroot>");
      } else {
        buf_puts(o, "<msqrt>");
        ml(o, x->a, st);
        buf_puts(o, "</msqrt>");
      }
      break;
    case N_SCRIPT: {
      const node_t *base = unwrap(x->a);
      int limits = base && ((base->kind == N_MO && base->cls == OP_LARGE && strcmp(base->text, "∫") &&
                             strcmp(base->text, "∬") && strcmp(base->text, "∭") && strcmp(base->text, "∮")) ||
                            (base->kind == N_MI && base->cls == 2));
      const char *tag = x->sub && x->sup ? (limits ? "munderover" : "msubsup")
                        : x->sub         ? (limits ? "munder" : "msub")
                                         : (limits ? "mover" : "msup");
      buf_printf(o, "<%s>", tag);
      ml_one(o, x->a, st);
      if (x->sub) ml_one(o, x->sub, st);
      if (x->sup) ml_one(o, x->sup, st);
      buf_printf(o, "</%s>", tag);
      break;
    }
    case N_FENCE:
      buf_puts(o, "<mrow>");
      ml_fence(o, x->text, "prefix");
      ml(o, x->a, st);
      ml_fence(o, x->close, "postfix");
      buf_puts(o, "</mrow>");
      break;
    case N_ACCENT:
      buf_puts(o, "<mover accent=\"true\">");
      ml_one(o, x->a, st);
      buf_puts(o, "<mo stretchy=\"false\">");
      esc(o, ACCENTS[x->cls].mathml);
      buf_puts(o, "</mo></mover>");
      break;
    case N_SPACE:
      if (x->cls) buf_printf(o, "<mspace width=\"%.4fem\"></mspace>", x->cls / 18.0);
      break;
    case N_STYLE:
      ml_one(o, x->a, x->cls);
      break;
    case N_TABLE:
      ml_table(o, x, st);
      break;
  }
}

int rm_mathml(buf_t *out, const char *src) {
  node_t *t = parse_source(src);
  if (!t) return -1;
  buf_puts(out, rm_is_display(src) ? "<math display=\"block\">" : "<math>");
  ml(out, t, ST_NONE); /* <math> is a row of its own */
  buf_puts(out, "</math>");
  node_free(t);
  return 0;
}

/* ---- Pango markup ---- */

static void pg(buf_t *o, const node_t *x, int st);

/* A part of a fraction or root: as it is when a single token, else in parentheses. */
static void pg_group(buf_t *o, const node_t *x, int st) {
  const node_t *u = unwrap(x);
  int paren = !single(x) || (u && (u->kind == N_FRAC || u->kind == N_SCRIPT));
  if (u && u->kind == N_FENCE) paren = 0;
  if (paren) buf_putc(o, '(');
  pg(o, x, st);
  if (paren) buf_putc(o, ')');
}

/* st: the style, plus TIGHT inside scripts (no spaces around operators)
 * and DISPLAY outside them in display math. */
#define TIGHT 0x100
#define DISPLAY 0x200

/* Linear: a matrix as (a b; c d); in display math the lines of cases and
 * aligned equations one under the other. */
static void pg_table(buf_t *o, const node_t *x, int display, int st) {
  int lines = display && x->cls != TB_MATRIX;
  esc(o, x->text);
  if (lines && *x->text) buf_putc(o, ' ');
  for (size_t i = 0; i < x->n; i++) {
    if (i) buf_puts(o, lines ? "\n" : "; ");
    for (size_t j = 0; j < x->kids[i]->n; j++) {
      if (j && x->cls != TB_ALIGNED) buf_puts(o, "\xE2\x80\x82"); /* an en space between cells */
      pg(o, x->kids[i]->kids[j], st);
    }
  }
  esc(o, x->close);
}

static void pg(buf_t *o, const node_t *x, int st_tight) {
  int st = st_tight & ~(TIGHT | DISPLAY), tight = st_tight & TIGHT;
  switch (x->kind) {
    case N_ROW:
      for (size_t i = 0; i < x->n; i++) {
        const node_t *prev = i ? unwrap(x->kids[i - 1]) : NULL;
        if (x->kids[i]->kind == N_MO && x->kids[i]->cls == OP_BIN &&
            (!prev || (prev->kind == N_MO && prev->cls != OP_ORD) ||
             (prev->kind == N_MO && strchr("([", prev->text[0]))))
          esc(o, x->kids[i]->text); /* a sign, not an operation: no spaces */
        else
          pg(o, x->kids[i], st_tight);
        if (fn_space(x, i)) buf_puts(o, "\xE2\x80\x89");
      }
      break;
    case N_MI: {
      int italic = (st == ST_NONE && !x->cls && one_char(x->text)) || st == ST_ITALIC;
      if (italic) buf_puts(o, "<i>");
      if (st == ST_BOLD) buf_puts(o, "<b>");
      put_styled(o, x->text, (st == ST_BB || st == ST_CAL) ? st : ST_NONE, 1);
      if (st == ST_BOLD) buf_puts(o, "</b>");
      if (italic) buf_puts(o, "</i>");
      break;
    }
    case N_MN:
    case N_TEXT:
      if (st == ST_BOLD) buf_puts(o, "<b>");
      if (st == ST_ITALIC) buf_puts(o, "<i>");
      put_styled(o, x->text, (st == ST_BB || st == ST_CAL) ? st : ST_NONE, 1);
      if (st == ST_ITALIC) buf_puts(o, "</i>");
      if (st == ST_BOLD) buf_puts(o, "</b>");
      break;
    case N_MO:
      if (!tight && (x->cls == OP_REL || x->cls == OP_BIN)) buf_putc(o, ' ');
      esc(o, x->text);
      if (!tight && (x->cls == OP_REL || x->cls == OP_BIN || x->cls == OP_PUNCT)) buf_putc(o, ' ');
      break;
    case N_FRAC:
      if (x->cls == FR_BINOM) { /* (n over k) as stacked scripts */
        buf_puts(o, "(<sup>");
        pg(o, x->a, st | TIGHT);
        buf_puts(o, "</sup><sub>");
        pg(o, x->b, st | TIGHT);
        buf_puts(o, "</sub>)");
        break;
      }
      pg_group(o, x->a, st_tight);
      buf_puts(o, single(x->a) && single(x->b) ? "\xE2\x81\x84" : "/");
      pg_group(o, x->b, st_tight);
      break;
    case N_SQRT:
      if (x->b) {
        buf_puts(o, "<sup>");
        pg(o, x->b, st_tight);
        buf_puts(o, "</sup>");
      }
      buf_puts(o, "√");
      pg_group(o, x->a, st_tight);
      break;
    case N_SCRIPT:
      pg(o, x->a, st_tight);
      if (x->sub) {
        buf_puts(o, "<sub>");
        pg(o, x->sub, st | TIGHT);
        buf_puts(o, "</sub>");
      }
      if (x->sup) {
        buf_puts(o, "<sup>");
        pg(o, x->sup, st | TIGHT);
        buf_puts(o, "</sup>");
      }
      break;
    case N_FENCE:
      esc(o, x->text);
      pg(o, x->a, st_tight);
      esc(o, x->close);
      break;
    case N_ACCENT:
      pg(o, x->a, st_tight);
      buf_puts(o, ACCENTS[x->cls].combining);
      break;
    case N_SPACE:
      buf_puts(o, x->cls >= 36   ? "\xE2\x80\x83\xE2\x80\x83"
                  : x->cls >= 18 ? "\xE2\x80\x83"
                  : x->cls >= 4  ? "\xE2\x80\x85"
                  : x->cls       ? "\xE2\x80\x89"
                                 : "");
      break;
    case N_STYLE:
      pg(o, x->a, x->cls | tight);
      break;
    case N_TABLE:
      pg_table(o, x, st_tight & DISPLAY, st);
      break;
  }
}

int rm_pango(buf_t *out, const char *src) {
  node_t *t = parse_source(src);
  if (!t) return -1;
  buf_t b = BUF_INIT;
  buf_init(&b);
  pg(&b, t, rm_is_display(src) ? DISPLAY : ST_NONE);
  node_free(t);
  /* operators at the edges need no space */
  size_t s = 0, e = b.len;
  while (s < e && b.data[s] == ' ') s++;
  while (e > s && b.data[e - 1] == ' ') e--;
  /* nor twice in a row */
  for (size_t i = s; i < e; i++)
    if (!(b.data[i] == ' ' && ((i > s && (b.data[i - 1] == ' ' || b.data[i - 1] == '\n')) || b.data[i + 1] == '\n')))
      buf_putc(out, b.data[i]);
  buf_free(&b);
  return 0;
}

/* ---- Office Math (OMML) ---- */

static void om(buf_t *o, const node_t *x, int st);

static void om_run(buf_t *o, const char *text, int sty, int plain) {
  buf_puts(o, "<m:r>");
  if (plain)
    buf_puts(o, "<m:rPr><m:nor/></m:rPr>");
  else if (sty)
    buf_printf(o, "<m:rPr><m:sty m:val=\"%s\"/></m:rPr>", sty == ST_BOLD ? "b" : sty == ST_ITALIC ? "i" : "p");
  buf_puts(o, "<m:t xml:space=\"preserve\">");
  esc(o, text);
  buf_puts(o, "</m:t></m:r>");
}

static void om_in(buf_t *o, const char *tag, const node_t *x, int st) {
  buf_printf(o, "<m:%s>", tag);
  if (x) om(o, x, st);
  buf_printf(o, "</m:%s>", tag);
}

static int is_nary(const node_t *x) {
  x = unwrap(x);
  return x && x->kind == N_MO && x->cls == OP_LARGE;
}

static int is_integral(const char *t) {
  return !strcmp(t, "∫") || !strcmp(t, "∬") || !strcmp(t, "∭") || !strcmp(t, "∮");
}

/* An n-ary operator (x: the operator or its N_SCRIPT) over the items
 * kids[from..to) of its row. */
static void om_nary(buf_t *o, const node_t *x, node_t **kids, size_t from, size_t to, int st) {
  const node_t *op = x->kind == N_SCRIPT ? unwrap(x->a) : unwrap(x);
  const node_t *sub = x->kind == N_SCRIPT ? x->sub : NULL, *sup = x->kind == N_SCRIPT ? x->sup : NULL;
  buf_puts(o, "<m:nary><m:naryPr><m:chr m:val=\"");
  esc(o, op->text);
  buf_printf(o, "\"/><m:limLoc m:val=\"%s\"/>", is_integral(op->text) ? "subSup" : "undOvr");
  if (!sub) buf_puts(o, "<m:subHide m:val=\"1\"/>");
  if (!sup) buf_puts(o, "<m:supHide m:val=\"1\"/>");
  buf_puts(o, "</m:naryPr>");
  om_in(o, "sub", sub, st);
  om_in(o, "sup", sup, st);
  buf_puts(o, "<m:e>");
  for (size_t i = from; i < to; i++) om(o, kids[i], st);
  buf_puts(o, "</m:e></m:nary>");
}

/* Opens an m:d between the delimiters open and close ("" for none); the
 * caller writes its m:e and "</m:d>". */
static void om_delims(buf_t *o, const char *open, const char *close) {
  buf_puts(o, "<m:d><m:dPr><m:begChr m:val=\"");
  esc(o, open);
  buf_puts(o, "\"/><m:endChr m:val=\"");
  esc(o, close);
  buf_puts(o, "\"/></m:dPr>");
}

/* A matrix or cases as a Word matrix (m:m) between its delimiters; aligned
 * and gathered lines as an equation array. */
static void om_table(buf_t *o, const node_t *x, int st) {
  if (*x->text || *x->close) {
    om_delims(o, x->text, x->close);
    buf_puts(o, "<m:e>");
  }
  if (x->cls == TB_ALIGNED || x->cls == TB_GATHERED) {
    buf_puts(o, "<m:eqArr>");
    for (size_t i = 0; i < x->n; i++) {
      buf_puts(o, "<m:e>");
      for (size_t j = 0; j < x->kids[i]->n; j++) om(o, x->kids[i]->kids[j], st);
      buf_puts(o, "</m:e>");
    }
    buf_puts(o, "</m:eqArr>");
  } else {
    size_t cols = table_cols(x);
    buf_printf(o,
               "<m:m><m:mPr><m:mcs><m:mc><m:mcPr><m:count m:val=\"%zu\"/><m:mcJc m:val=\"%s\"/></m:mcPr></m:mc>"
               "</m:mcs></m:mPr>",
               cols, x->cls == TB_CASES ? "left" : "center");
    for (size_t i = 0; i < x->n; i++) {
      buf_puts(o, "<m:mr>");
      for (size_t j = 0; j < cols; j++) om_in(o, "e", j < x->kids[i]->n ? x->kids[i]->kids[j] : NULL, st);
      buf_puts(o, "</m:mr>");
    }
    buf_puts(o, "</m:m>");
  }
  if (*x->text || *x->close) buf_puts(o, "</m:e></m:d>");
}

static void om(buf_t *o, const node_t *x, int st) {
  switch (x->kind) {
    case N_ROW:
      for (size_t i = 0; i < x->n; i++) {
        const node_t *k = x->kids[i];
        if (is_nary(k) || (k->kind == N_SCRIPT && is_nary(k->a))) {
          /* the operand: the items up to the next relation */
          size_t j = i + 1;
          while (j < x->n && !(x->kids[j]->kind == N_MO && x->kids[j]->cls == OP_REL)) j++;
          om_nary(o, k, x->kids, i + 1, j, st);
          i = j - 1;
          continue;
        }
        const node_t *f = unwrap(k->kind == N_SCRIPT ? k->a : k);
        if (f && f->kind == N_MI && f->cls && !one_char(f->text) && i + 1 < x->n) {
          /* a function name and its argument: Word spaces them (ln 2, sin x) */
          buf_puts(o, "<m:func><m:fName>");
          om(o, k, st);
          buf_puts(o, "</m:fName><m:e>");
          om(o, x->kids[++i], st);
          buf_puts(o, "</m:e></m:func>");
          continue;
        }
        om(o, k, st);
      }
      break;
    case N_MI: {
      buf_t t = BUF_INIT;
      buf_init(&t);
      put_styled(&t, x->text, (st == ST_BB || st == ST_CAL) ? st : ST_NONE, 0);
      om_run(o, t.data ? t.data : "", st == ST_BOLD ? ST_BOLD : (x->cls || st == ST_ROMAN) ? ST_ROMAN : st, 0);
      buf_free(&t);
      break;
    }
    case N_MN:
    case N_MO:
      om_run(o, x->text, st == ST_BOLD ? ST_BOLD : 0, 0);
      break;
    case N_TEXT:
      om_run(o, x->text, 0, 1);
      break;
    case N_FRAC:
      if (x->cls == FR_BINOM) {
        om_delims(o, "(", ")");
        buf_puts(o, "<m:e><m:f><m:fPr><m:type m:val=\"noBar\"/></m:fPr>");
        om_in(o, "num", x->a, st);
        om_in(o, "den", x->b, st);
        buf_puts(o, "</m:f></m:e></m:d>");
        break;
      }
      buf_puts(o, "<m:f>");
      om_in(o, "num", x->a, st);
      om_in(o, "den", x->b, st);
      buf_puts(o, "</m:f>");
      break;
    case N_SQRT:
      buf_puts(o, "<m:rad>");
      if (!x->b) buf_puts(o, "<m:radPr><m:degHide m:val=\"1\"/></m:radPr>");
      om_in(o, "deg", x->b, st);
      om_in(o, "e", x->a, st);
      buf_puts(o, "</m:rad>");
      break;
    case N_SCRIPT: {
      const node_t *base = unwrap(x->a);
      if (base && base->kind == N_MI && base->cls == 2 && x->sub && !x->sup) { /* \lim_{x \to 0} */
        buf_puts(o, "<m:limLow>");
        om_in(o, "e", x->a, st);
        om_in(o, "lim", x->sub, st);
        buf_puts(o, "</m:limLow>");
        break;
      }
      const char *tag = x->sub && x->sup ? "sSubSup" : x->sub ? "sSub" : "sSup";
      buf_printf(o, "<m:%s>", tag);
      om_in(o, "e", x->a, st);
      if (x->sub) om_in(o, "sub", x->sub, st);
      if (x->sup) om_in(o, "sup", x->sup, st);
      buf_printf(o, "</m:%s>", tag);
      break;
    }
    case N_FENCE:
      om_delims(o, x->text, x->close);
      om_in(o, "e", x->a, st);
      buf_puts(o, "</m:d>");
      break;
    case N_ACCENT:
      if (!strcmp(ACCENTS[x->cls].name, "overline") || !strcmp(ACCENTS[x->cls].name, "bar")) {
        buf_puts(o, "<m:bar><m:barPr><m:pos m:val=\"top\"/></m:barPr>");
        om_in(o, "e", x->a, st);
        buf_puts(o, "</m:bar>");
        break;
      }
      buf_puts(o, "<m:acc><m:accPr><m:chr m:val=\"");
      esc(o, ACCENTS[x->cls].combining);
      buf_puts(o, "\"/></m:accPr>");
      om_in(o, "e", x->a, st);
      buf_puts(o, "</m:acc>");
      break;
    case N_SPACE:
      if (x->cls)
        om_run(o,
               x->cls >= 36   ? "\xE2\x80\x83\xE2\x80\x83"
               : x->cls >= 18 ? "\xE2\x80\x83"
               : x->cls >= 4  ? "\xE2\x80\x85"
                              : "\xE2\x80\x89",
               0, 0);
      break;
    case N_STYLE:
      om(o, x->a, x->cls);
      break;
    case N_TABLE:
      om_table(o, x, st);
      break;
  }
}

int rm_omml(buf_t *out, const char *src) {
  node_t *t = parse_source(src);
  if (!t) return -1;
  int display = rm_is_display(src);
  if (display) buf_puts(out, "<m:oMathPara>");
  buf_puts(out, "<m:oMath>");
  om(out, t, ST_NONE);
  buf_puts(out, "</m:oMath>");
  if (display) buf_puts(out, "</m:oMathPara>");
  node_free(t);
  return 0;
}

/* ---- finding the math in Markdown (the preview's rule, math.h) ---- */

static int is_word(const char *s, size_t i) {
  char c = s[i];
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* The length of the whitespace character (JavaScript's \s) at s[i], or 0. */
static size_t space_at(const char *s, size_t n, size_t i) {
  if (i >= n) return 0;
  unsigned char c = (unsigned char)s[i];
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c < 0x80) return 0;
  size_t j = i;
  unsigned cp = text_utf8_next(s, n, &j);
  if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
      cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
    return j - i;
  return 0;
}

/* 1 when the character ending at s[i] (exclusive) is whitespace. */
static int space_before(const char *s, size_t n, size_t i) {
  if (!i) return 0;
  size_t k = i - 1;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4) k--;
  return space_at(s, n, k) == i - k;
}

static void add_mark(rm_marks_t *m, buf_t *md, const char *s, size_t len) {
  char **v = realloc(m->src, (m->n + 1) * sizeof *v);
  if (!v) abort();
  m->src = v;
  m->src[m->n] = xstrndup(s, len);
  buf_printf(md, MARK_OPEN "%zu" MARK_CLOSE, m->n);
  m->n++;
}

/* The math of one stretch of text outside code. */
static void mark_part(rm_marks_t *m, buf_t *md, const char *s, size_t n) {
  size_t i = 0, flushed = 0;
  while (i < n) {
    size_t end = 0;
    if (s[i] == '$' && i + 1 < n && s[i + 1] == '$') { /* $$...$$ (at least one character) */
      for (size_t j = i + 3; j + 1 < n; j++)
        if (s[j] == '$' && s[j + 1] == '$') {
          end = j + 2;
          break;
        }
    } else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '[') {
      for (size_t j = i + 3; j + 1 < n; j++)
        if (s[j] == '\\' && s[j + 1] == ']') {
          end = j + 2;
          break;
        }
    }
    if (!end && s[i] == '$' && !(i > 0 && (s[i - 1] == '\\' || s[i - 1] == '$' || is_word(s, i - 1))) && i + 1 < n &&
        !space_at(s, n, i + 1)) {
      size_t j = i + 1;
      while (j < n && s[j] != '$' && s[j] != '\n') j++;
      if (j < n && s[j] == '$' && j > i + 1 && !space_before(s, n, j) &&
          !(j + 1 < n && (s[j + 1] == '$' || is_word(s, j + 1))))
        end = j + 1;
    }
    if (!end) {
      i++;
      continue;
    }
    buf_append(md, s + flushed, i - flushed);
    add_mark(m, md, s + i, end - i);
    i = flushed = end;
  }
  buf_append(md, s + flushed, n - flushed);
}

void rm_mark(const char *markdown, rm_marks_t *m) {
  memset(m, 0, sizeof *m);
  const char *s = markdown ? markdown : "";
  size_t n = strlen(s);
  buf_t md = BUF_INIT;
  buf_init(&md);
  if (strstr(s, MARK_OPEN) || strstr(s, MARK_CLOSE) || strstr(s, URL_OPEN)) {
    buf_append(&md, s, n);
    m->md = buf_detach(&md, NULL);
    return;
  }
  /* code as the preview splits it: ```...``` or `...` on one line */
  size_t i = 0, part = 0;
  while (i < n) {
    size_t end = rb_code_end(s, n, i);
    if (!end) {
      i++;
      continue;
    }
    mark_part(m, &md, s + part, i - part);
    buf_append(&md, s + i, end - i);
    i = part = end;
  }
  mark_part(m, &md, s + part, n - part);
  m->md = buf_detach(&md, NULL);
}

void rm_marks_free(rm_marks_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) free(m->src[i]);
  free(m->src);
  free(m->md);
  memset(m, 0, sizeof *m);
}

/* The next open-number-close in s[0..n), as rm_find_mark (open and close
 * of the same length). */
static size_t find_mark(const char *s, size_t n, size_t nmarks, const char *open, const char *close, size_t *idx,
                        size_t *len) {
  size_t ml = strlen(open);
  for (size_t i = 0; i + 2 * ml < n && nmarks; i++) {
    if (strncmp(s + i, open, ml)) continue;
    size_t j = i + ml, v = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9' && j - i < ml + 12) v = v * 10 + (size_t)(s[j++] - '0');
    if (j == i + ml || j + ml > n || strncmp(s + j, close, ml) || v >= nmarks) continue;
    *idx = v;
    *len = j + ml - i;
    return i;
  }
  return n;
}

size_t rm_find_mark(const char *s, size_t n, size_t nmarks, size_t *idx, size_t *len) {
  return find_mark(s, n, nmarks, MARK_OPEN, MARK_CLOSE, idx, len);
}

/* A source in a URL attribute, escaped as md4c escapes URLs. */
static void put_url(buf_t *o, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (is_alpha((char)c) || (c >= '0' && c <= '9') || strchr("-_.+!*(),%#@?=;:/,+$", c))
      buf_putc(o, (char)c);
    else if (c == '&')
      buf_puts(o, "&amp;");
    else
      buf_printf(o, "%%%02X", c);
  }
}

/* ---- putting the math back ---- */

void rm_html_fill(buf_t *html, const rm_marks_t *m) {
  if (!m->n) return;
  buf_t out = BUF_INIT;
  buf_init(&out);
  const char *s = html->data;
  size_t n = html->len, pos = 0;
  int in_tag = 0, code = 0;
  size_t scanned = 0;
  while (pos < n) {
    size_t idx, len, at = rm_find_mark(s + pos, n - pos, m->n, &idx, &len) + pos;
    /* md4c percent-encodes a marker in a link or image target */
    size_t uidx, ulen, uat = find_mark(s + pos, n - pos, m->n, URL_OPEN, URL_CLOSE, &uidx, &ulen) + pos;
    int url = uat < at;
    if (url) at = uat, idx = uidx, len = ulen;
    /* the context at the marker: inside a tag, inside <code>/<pre> */
    for (; scanned < at; scanned++) {
      if (s[scanned] == '<') {
        in_tag = 1;
        if (!strncmp(s + scanned, "<code", 5) || !strncmp(s + scanned, "<pre", 4)) code++;
        if ((!strncmp(s + scanned, "</code", 6) || !strncmp(s + scanned, "</pre", 5)) && code) code--;
      } else if (s[scanned] == '>')
        in_tag = 0;
    }
    buf_append(&out, s + pos, at - pos);
    if (at >= n) break;
    const char *src = m->src[idx];
    if (url)
      put_url(&out, src);
    else if (in_tag || code || rm_mathml(&out, src) < 0) {
      if (!in_tag && !code) buf_puts(&out, "<code class=\"math-tex\">");
      esc(&out, src);
      if (!in_tag && !code) buf_puts(&out, "</code>");
    }
    pos = scanned = at + len;
  }
  buf_free(html);
  *html = out;
}

/* s with every marker replaced by its source. malloc'd. */
static char *with_sources(const char *s, const rm_marks_t *m) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t n = strlen(s), pos = 0;
  while (pos < n) {
    size_t idx, len, at = rm_find_mark(s + pos, n - pos, m->n, &idx, &len) + pos;
    buf_append(&b, s + pos, at - pos);
    if (at >= n) break;
    buf_puts(&b, m->src[idx]);
    pos = at + len;
  }
  return buf_detach(&b, NULL);
}

static void cell_push(rb_cell_t *c, char *text, int flags, const char *href) {
  if (!*text) {
    free(text);
    return;
  }
  if (c->nruns == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 4;
    rb_run_t *r = realloc(c->runs, c->cap * sizeof *r);
    if (!r) abort();
    c->runs = r;
  }
  rb_run_t *r = &c->runs[c->nruns++];
  r->text = text;
  r->flags = flags;
  r->href = href ? strdup(href) : NULL;
}

static void expand_cell(rb_cell_t *c, int code_block, const rm_marks_t *m) {
  rb_cell_t old = *c;
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < old.nruns; i++) {
    rb_run_t *r = &old.runs[i];
    char *href = r->href ? with_sources(r->href, m) : NULL;
    if (code_block || (r->flags & RB_CODE)) {
      cell_push(c, with_sources(r->text, m), r->flags, href);
    } else {
      const char *s = r->text;
      size_t n = strlen(s), pos = 0;
      while (pos < n) {
        size_t idx, len, at = rm_find_mark(s + pos, n - pos, m->n, &idx, &len) + pos;
        cell_push(c, xstrndup(s + pos, at - pos), r->flags, href);
        if (at >= n) break;
        const char *src = m->src[idx];
        cell_push(c, xstrndup(src, strlen(src)), r->flags | RB_MATH | (rm_is_display(src) ? RB_DISPLAY : 0), href);
        pos = at + len;
      }
    }
    free(href);
    free(r->text);
    free(r->href);
  }
  free(old.runs);
}

static int blank(const char *s) {
  for (; *s; s++)
    if (*s != ' ' && *s != '\n' && *s != '\t') return 0;
  return 1;
}

/* Splits a paragraph around its display math: the pieces (runs moved, the
 * block's layout copied) appended to out. */
static void split_para(rb_block_t *b, rb_doc_t *out) {
  rb_cell_t *c = &b->cells[0];
  size_t i = 0;
  int first = 1;
  while (i < c->nruns) {
    size_t j = i;
    if (c->runs[i].flags & RB_DISPLAY)
      j = i + 1;
    else
      while (j < c->nruns && !(c->runs[j].flags & RB_DISPLAY)) j++;
    int keep = 0;
    for (size_t k = i; k < j; k++) keep |= !blank(c->runs[k].text);
    if (keep) {
      if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        rb_block_t *v = realloc(out->blocks, out->cap * sizeof *v);
        if (!v) abort();
        out->blocks = v;
      }
      rb_block_t *nb = &out->blocks[out->n++];
      *nb = *b;
      nb->svg = first ? b->svg : NULL;
      nb->cells = xcalloc(1, sizeof *nb->cells);
      nb->ncells = 1;
      first = 0;
      for (size_t k = i; k < j; k++) {
        char *t = c->runs[k].text;
        if (!(c->runs[k].flags & RB_MATH)) { /* the soft breaks around display math */
          size_t a = k == i ? strspn(t, " ") : 0, e = strlen(t);
          while (k + 1 == j && e > a && t[e - 1] == ' ') e--;
          memmove(t, t + a, e - a);
          t[e - a] = 0;
        }
        cell_push(nb->cells, t, c->runs[k].flags, c->runs[k].href);
        free(c->runs[k].href);
      }
    } else
      for (size_t k = i; k < j; k++) free(c->runs[k].text), free(c->runs[k].href);
    i = j;
  }
  if (first) free(b->svg);
  free(c->runs);
  free(b->cells);
}

void rm_blocks_expand(rb_doc_t *doc, const rm_marks_t *m) {
  if (!m->n) return;
  int split = 0;
  for (size_t i = 0; i < doc->n; i++) {
    rb_block_t *b = &doc->blocks[i];
    for (size_t c = 0; c < b->ncells; c++) expand_cell(&b->cells[c], b->kind == RB_CODEBLOCK, m);
    if (b->kind == RB_PARA && b->ncells == 1)
      for (size_t r = 0; r < b->cells[0].nruns; r++)
        if ((b->cells[0].runs[r].flags & RB_DISPLAY) && b->cells[0].nruns > 1) split = 1;
  }
  if (!split) return;
  rb_doc_t out = *doc;
  out.blocks = NULL;
  out.n = out.cap = 0;
  for (size_t i = 0; i < doc->n; i++) {
    rb_block_t *b = &doc->blocks[i];
    int has = 0;
    if (b->kind == RB_PARA && b->ncells == 1)
      for (size_t r = 0; r < b->cells[0].nruns; r++) has |= (b->cells[0].runs[r].flags & RB_DISPLAY) != 0;
    if (has && b->cells[0].nruns > 1) {
      split_para(b, &out);
      continue;
    }
    if (out.n == out.cap) {
      out.cap = out.cap ? out.cap * 2 : 16;
      rb_block_t *v = realloc(out.blocks, out.cap * sizeof *v);
      if (!v) abort();
      out.blocks = v;
    }
    out.blocks[out.n++] = *b;
  }
  free(doc->blocks);
  *doc = out;
}
