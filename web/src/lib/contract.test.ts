/*
 * The schema checker (schema.ts) names the member at fault, and the fixtures
 * the UI's tests answer with (src/test/fixtures.ts) are what the contract
 * says the server sends (the server itself is checked against the same
 * schemas by tests/e2e/flows/90-contract.mjs).
 */
import { describe, it, expect } from 'vitest';
import { arr, int, nullable, obj, oneOf, opt, problems, record, str, union } from './schema';
import * as C from './contract';
import { apiError, bulkReply, chatMessage, doc, documentList, documentText, group, mission, note, passage, reportJson, reportVersions, searchReply, section, session, uploaded, uploadReply, user } from '../test/fixtures';

describe('schema', () => {
  const S = obj({ id: str, n: int, kind: oneOf('a', 'b'), tags: arr(str), parent: nullable(str), note: opt(str), meta: record(int), v: union(str, int) });
  const good = { id: 'x', n: 1, kind: 'a', tags: ['t'], parent: null, meta: { k: 1 }, v: 2, extra: true };
  it('accepts a matching value, with members it does not name', () => {
    expect(problems(S, good)).toEqual([]);
  });
  it('names a missing member, a wrong type and the path inside lists and maps', () => {
    const { n: _n, ...noN } = good;
    expect(problems(S, noN)).toEqual(['n: missing (expected an integer)']);
    expect(problems(S, { ...good, n: 1.5 })).toEqual(['n: expected an integer, got 1.5']);
    expect(problems(S, { ...good, kind: 'c' })).toEqual(['kind: expected one of "a", "b", got "c"']);
    expect(problems(S, { ...good, tags: ['t', 3] })).toEqual(['tags[1]: expected a string, got 3']);
    expect(problems(S, { ...good, meta: { k: 'x' } })).toEqual(['meta.k: expected an integer, got "x"']);
    expect(problems(S, { ...good, parent: undefined })).toEqual(['parent: missing (expected a string or null)']);
    expect(problems(S, { ...good, note: 3 })).toEqual(['note: expected a string, got 3']);
    expect(problems(S, { ...good, v: true })).toEqual(['v: expected a string, got true']);
    expect(problems(S, [good])).toEqual(['(body): expected an object, got [{"id":"x","n":1,"kind":"a","tags":["t"],"parent":null,"m...']);
  });
  it('checks recursive shapes (a plan outline) at every depth', () => {
    const plan = { sections: [section({ id: 's1', title: 'A', subsections: [{ id: 's1.1', title: 'B', questions: [] } as unknown as C.PlanSection] })] };
    expect(problems(C.Plan, plan)).toEqual(['sections[0].subsections[0].subsections: missing (expected a list of an object)']);
  });
});

describe('the tests answer what the server answers', () => {
  it('fixtures match the contract', () => {
    expect(problems(C.Mission, mission())).toEqual([]);
    expect(problems(C.Note, note({ id: 'n1' }))).toEqual([]);
    expect(problems(C.ChatMessage, chatMessage({ id: '1' }))).toEqual([]);
    expect(problems(C.ReportJson, reportJson({ markdown: '# R' }))).toEqual([]);
    expect(problems(C.ReportVersions, reportVersions())).toEqual([]);
    expect(problems(C.Session, session())).toEqual([]);
  });
  it('library fixtures match the contract: documents, uploads, bulk actions, search, the reader, errors', () => {
    const d = doc({ id: 'd1', filename: 'a.pdf', author_list: ['Ann Lee', 'Bo Park'], group_ids: ['g1'] });
    expect(d.authors).toBe('Ann Lee; Bo Park');
    expect(doc({ id: 'd2', filename: 'b.md', authors: 'Marie Curie' }).author_list).toEqual(['Marie Curie']);
    expect(problems(C.User, user())).toEqual([]);
    expect(problems(C.Group, group({ id: 'g1', name: 'Physics' }))).toEqual([]);
    expect(problems(C.GroupList, { groups: [group({ id: 'g1', name: 'Physics' })] })).toEqual([]);
    expect(problems(C.Document, d)).toEqual([]);
    expect(problems(C.DocumentList, documentList([d], 120))).toEqual([]);
    const reply = uploadReply(uploaded({ filename: 'a.txt' }), uploaded({ filename: 'b.txt', status: 'ready', duplicate: true }), uploaded({ filename: 'c.pdf', status: 'failed' }));
    expect(problems(C.UploadReply, reply)).toEqual([]);
    expect(reply.documents[2].id).toBeUndefined(); /* a refused file has no id, and says why */
    expect(reply.documents[2].error).toBeTruthy();
    expect(problems(C.BulkReply, bulkReply({ action: 'reprocess', matched: 3 }))).toEqual([]);
    expect(problems(C.SearchReply, searchReply([passage({ document_id: 'd1', text: 'x', page: 2 })]))).toEqual([]);
    expect(problems(C.DocumentText, documentText({ id: 'd1', text: 'x', sections: [{ page: 1, heading: '', char_start: 0 }] }))).toEqual([]);
    expect(problems(C.ErrorBody, apiError('invalid_field', 'doi must look like 10.1234/abc', 'doi'))).toEqual([]);
  });
  it('every route has a contract, and an error reply is {"error":{"code","message"}}', () => {
    for (const [route, spec] of Object.entries(C.CONTRACT)) expect(spec.body || spec.type, route).toBeTruthy();
    expect(problems(C.ErrorBody, { error: { code: 'not_found', message: 'mission 1 not found' } })).toEqual([]);
    expect(problems(C.ErrorBody, { error: 'not found' })).toEqual(['error: expected an object, got "not found"']);
  });
});
