/*
 * A small runtime schema: each schema checks a JSON value and carries its
 * TypeScript type, so a response shape is written once (contract.ts) and
 * both the UI's types (`Infer<typeof X>`) and the contract test's checks
 * come from it. No dependencies: the contract test loads this file in Node.
 *
 *   const User = obj({ id: str, role: oneOf('admin', 'viewer'), note: opt(str) });
 *   type User = Infer<typeof User>;      // { id: string; role: ...; note?: string }
 *   problems(User, value)                // [] or ["role: expected one of ..., got 3"]
 *
 * Objects accept members they do not name (the server may add fields before
 * the UI uses them); a named member that is missing or of another type is a
 * problem, reported with its path (`missions[0].status`).
 */

export interface Schema<T> {
  /** what the schema wants, for messages */
  readonly describe: string;
  /** appends "path: problem" lines to out */
  check(v: unknown, path: string, out: string[]): void;
  /** phantom member carrying the type; never set */
  readonly _type?: T;
  /** set by opt(): the member may be absent */
  readonly optional?: boolean;
}
export type Infer<S> = S extends Schema<infer T> ? T : never;

const MAX_PROBLEMS = 50;

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
function fail(out: string[], path: string, want: string, v: unknown) {
  if (out.length < MAX_PROBLEMS) out.push(`${path || '(body)'}: expected ${want}, got ${show(v)}`);
}
function prim<T>(describe: string, ok: (v: unknown) => boolean): Schema<T> {
  return { describe, check: (v, path, out) => (ok(v) ? undefined : fail(out, path, describe, v)) };
}

export const str: Schema<string> = prim('a string', (v) => typeof v === 'string');
export const num: Schema<number> = prim('a number', (v) => typeof v === 'number' && Number.isFinite(v));
export const int: Schema<number> = prim('an integer', (v) => typeof v === 'number' && Number.isInteger(v));
export const bool: Schema<boolean> = prim('a boolean', (v) => typeof v === 'boolean');
export const nul: Schema<null> = prim('null', (v) => v === null);
/** any JSON value (a member whose shape is someone else's: a plugin's, a model's) */
export const unknown: Schema<unknown> = prim('anything', (v) => v !== undefined);
/** a JSON object whose members are not described here */
export const anyObj: Schema<Record<string, unknown>> = prim('an object', (v) => !!v && typeof v === 'object' && !Array.isArray(v));

export function oneOf<const L extends readonly (string | number | boolean)[]>(...values: L): Schema<L[number]> {
  return prim(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) => values.includes(v as L[number]));
}

export function arr<T>(item: Schema<T>): Schema<T[]> {
  return {
    describe: `a list of ${item.describe}`,
    check(v, path, out) {
      if (!Array.isArray(v)) return fail(out, path, this.describe, v);
      v.forEach((x, i) => item.check(x, `${path}[${i}]`, out));
    },
  };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return { describe: `${s.describe} or null`, check: (v, path, out) => (v === null ? undefined : s.check(v, path, out)) };
}

/** a member that may be absent (present, it must match) */
export function opt<T>(s: Schema<T>): Schema<T | undefined> & { optional: true } {
  return { describe: s.describe, optional: true, check: (v, path, out) => (v === undefined ? undefined : s.check(v, path, out)) };
}

/** the first alternative that matches; the problems of the closest one otherwise */
export function union<S extends Schema<unknown>[]>(...alts: S): Schema<Infer<S[number]>> {
  return {
    describe: alts.map((a) => a.describe).join(' | '),
    check(v, path, out) {
      let best: string[] | null = null;
      for (const a of alts) {
        const p: string[] = [];
        a.check(v, path, p);
        if (!p.length) return;
        if (!best || p.length < best.length) best = p;
      }
      for (const p of best ?? []) if (out.length < MAX_PROBLEMS) out.push(p);
    },
  };
}

/** an object used as a map: every value matches s */
export function record<T>(s: Schema<T>): Schema<Record<string, T>> {
  return {
    describe: `an object of ${s.describe}`,
    check(v, path, out) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(out, path, this.describe, v);
      for (const [k, x] of Object.entries(v)) s.check(x, `${path}.${k}`, out);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & {};
export type ObjOf<S extends Shape> = Flat<
  { [K in Exclude<keyof S, OptKeys<S>>]: Infer<S[K]> } & { [K in OptKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;
export interface ObjSchema<S extends Shape> extends Schema<ObjOf<S>> {
  readonly shape: S;
}

export function obj<S extends Shape>(shape: S): ObjSchema<S> {
  return {
    shape,
    describe: 'an object',
    check(v, path, out) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(out, path, 'an object', v);
      const o = v as Record<string, unknown>;
      for (const [k, s] of Object.entries(shape)) {
        const p = path ? `${path}.${k}` : k;
        if (o[k] === undefined && !s.optional) {
          if (out.length < MAX_PROBLEMS) out.push(`${p}: missing (expected ${s.describe})`);
        } else s.check(o[k], p, out);
      }
    },
  };
}

/** the members of a and b together (b's win) */
export function extend<A extends Shape, B extends Shape>(a: ObjSchema<A>, b: B): ObjSchema<Flat<Omit<A, keyof B> & B>> {
  return obj({ ...a.shape, ...b } as Flat<Omit<A, keyof B> & B>);
}

/** "path: problem" lines; empty when v matches */
export function problems<T>(s: Schema<T>, v: unknown): string[] {
  const out: string[] = [];
  s.check(v, '', out);
  return out;
}
export function matches<T>(s: Schema<T>, v: unknown): v is T {
  return problems(s, v).length === 0;
}

/** a schema defined later (recursive shapes); T is written by hand and checked against it */
export function lazy<T>(f: () => Schema<T>): Schema<T> {
  return { describe: 'an object', check: (v, path, out) => f().check(v, path, out) };
}
