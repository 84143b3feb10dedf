/*
 * footnotes.h - Markdown footnotes in report exports (internal to
 * src/report), by the Writing preview's rule (web/src/lib/writing.ts,
 * footnotes; both tested on tests/fixtures/footnotes.json).
 *
 * md4c knows no footnotes, so before an exporter parses the Markdown:
 * - a definition is a line outside fenced code (``` at the line's start
 *   toggles) that starts, after at most 3 spaces, with `[^LABEL]:` (LABEL:
 *   1 to 64 characters, no white space and no `]`); its text is the rest of
 *   the line and the following non-blank lines indented by 4 spaces or a
 *   tab, each trimmed, joined with spaces. Definition lines are removed.
 * - a reference `[^LABEL]` outside code (code spans and fenced blocks as
 *   the math rule finds them, rb_code_end) whose label has a definition
 *   becomes the note's number in superscript digits (¹, ², ...); numbers
 *   follow the order of first reference, and every reference to a note has
 *   the same number; a reference right after another is set apart by a
 *   narrow no-break space (U+202F: "¹ ²", not "¹²"), and one right after
 *   `*`, `_` or `~` by the entity `&#8288;` (an invisible word joiner: a
 *   superscript digit is not punctuation, so "*(unverified)*¹" would no
 *   longer close its emphasis; `&` is). A reference without a definition
 *   stays as written.
 * - the notes are listed where the first definition stood (a report puts
 *   its definitions under a heading such as "Unverified statements"; a
 *   draft usually at its end): the text before it (trailing white space
 *   trimmed) and a blank line, a rule "---" and a blank line unless that
 *   text ends with a heading, one line "N. TEXT" per note in number order,
 *   then, after a blank line, the rest of the text (its leading blank lines
 *   dropped). A definition no reference uses (or a second definition of a
 *   label) is numbered after the referenced ones, in document order, so no
 *   text is lost. Without a definition the Markdown is unchanged.
 */
#ifndef MAESTRO_REPORT_FOOTNOTES_H
#define MAESTRO_REPORT_FOOTNOTES_H

/* The Markdown with its footnotes resolved as above. malloc'd; NULL is
 * taken as "". */
char *rf_resolve(const char *markdown);

#endif
