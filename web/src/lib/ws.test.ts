import { describe, it, expect, beforeEach } from 'vitest';
import { LiveClient, type SocketLike, type LiveEvent } from './ws';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  closed = false;
  onopen: ((ev: any) => void) | null = null;
  onclose: ((ev: any) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  // test helpers
  serverOpen() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverDrop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
  serverClose(code: number, reason: string) {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  push(channel: string, seq: number, event = 'note_added', data: any = {}) {
    this.onmessage?.({ data: JSON.stringify({ type: 'event', channel, seq, event, data, ts: 'now' }) });
  }
}

class FakeTimers {
  now = 0;
  next = 1;
  timers = new Map<number, { at: number; fn: () => void; ms: number }>();
  set = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn, ms });
    return id;
  };
  clear = (h: unknown) => {
    const id = h as number;
    this.timers.delete(id);
  };
  /** Delays of pending timers, for asserting the backoff. */
  pending() {
    return [...this.timers.values()].map((t) => t.ms);
  }
  advance(ms: number) {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }
}

function setup() {
  FakeSocket.all = [];
  const timers = new FakeTimers();
  let token = 'tok1';
  const client = new LiveClient({
    url: () => `ws://x/api/ws?token=${token}`,
    factory: (u) => new FakeSocket(u),
    baseDelay: 100,
    maxDelay: 1000,
    jitter: 0,
    pingInterval: 0,
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
  client.connect();
  return { client, timers, setToken: (t: string) => (token = t) };
}
const last = () => FakeSocket.all[FakeSocket.all.length - 1];

describe('LiveClient', () => {
  beforeEach(() => {
    FakeSocket.all = [];
  });

  it('subscribes with after once the socket opens and delivers events', () => {
    FakeSocket.all = [];
    const timers = new FakeTimers();
    const client = new LiveClient({ url: () => 'ws://x/api/ws', factory: (u) => new FakeSocket(u), pingInterval: 0, setTimer: timers.set, clearTimer: timers.clear });
    const got: LiveEvent[] = [];
    client.subscribe('mission:1', 5, (e) => got.push(e));
    expect(FakeSocket.all).toHaveLength(0); // the app decides when to connect
    client.connect();
    expect(FakeSocket.all).toHaveLength(1);
    expect(client.state).toBe('connecting');
    last().serverOpen();
    expect(client.state).toBe('open');
    expect(last().sent).toEqual([{ type: 'subscribe', channel: 'mission:1', after: 5 }]);
    last().push('mission:1', 6, 'status', { status: 'running' });
    expect(got.map((e) => [e.seq, e.event, e.data.status])).toEqual([[6, 'status', 'running']]);
    expect(client.lastSeq('mission:1')).toBe(6);
  });

  it('drops duplicate and old seqs and events of other channels', () => {
    const { client } = setup();
    const got: number[] = [];
    client.subscribe('mission:1', 0, (e) => got.push(e.seq));
    last().serverOpen();
    for (const s of [1, 2, 2, 3, 1, 4]) last().push('mission:1', s);
    last().push('mission:2', 9);
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('delivers events the server sends under the resolved name of an alias ("documents" -> "documents:<user>")', () => {
    const { client } = setup();
    const got: string[] = [];
    client.subscribe('documents', 0, (e) => got.push(`${e.seq}:${e.data.status}`));
    last().serverOpen();
    expect(last().sent).toEqual([{ type: 'subscribe', channel: 'documents', after: 0 }]);
    // what the server really sends for a PDF that finished processing
    last().push('documents:u1abc', 1, 'document', { id: 'd1', status: 'processing' });
    last().push('documents:u1abc', 2, 'document', { id: 'd1', status: 'ready' });
    last().push('documents:u1abc', 2, 'document', { id: 'd1', status: 'ready' });
    // a channel that is not an alias is never matched by its prefix
    client.subscribe('mission', 0, () => got.push('wrong'));
    last().push('mission:3', 1);
    expect(got).toEqual(['1:processing', '2:ready']);
    expect(client.lastSeq('documents')).toBe(2);
  });

  it('reconnects with exponential backoff and catches up from the last seq', () => {
    const { client, timers, setToken } = setup();
    const states: string[] = [];
    client.onState((s) => states.push(s));
    const got: number[] = [];
    client.subscribe('mission:7', 0, (e) => got.push(e.seq));
    last().serverOpen();
    last().push('mission:7', 1);
    last().push('mission:7', 2);

    last().serverDrop();
    expect(client.state).toBe('reconnecting');
    expect(timers.pending()).toEqual([100]);
    timers.advance(99);
    expect(FakeSocket.all).toHaveLength(1);
    timers.advance(1);
    expect(FakeSocket.all).toHaveLength(2);
    // this attempt fails before opening: the next delay doubles
    last().serverDrop();
    expect(timers.pending()).toEqual([200]);
    timers.advance(200);
    last().serverDrop();
    expect(timers.pending()).toEqual([400]);
    timers.advance(400);
    expect(FakeSocket.all).toHaveLength(4);

    setToken('tok2');
    last().serverDrop();
    timers.advance(800);
    expect(last().url).toContain('token=tok2'); // the url is read again each time
    last().serverOpen();
    expect(client.state).toBe('open');
    expect(last().sent).toEqual([{ type: 'subscribe', channel: 'mission:7', after: 2 }]);
    // the server replays from 3, but overlapping replays are dropped
    last().push('mission:7', 2);
    last().push('mission:7', 3);
    last().push('mission:7', 4);
    expect(got).toEqual([1, 2, 3, 4]);
    expect(states).toEqual(['open', 'reconnecting', 'open']);

    // backoff was reset by the successful open
    last().serverDrop();
    expect(timers.pending()).toEqual([100]);
  });

  it('caps the backoff delay', () => {
    const { client } = setup();
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => client.backoff(n))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('unsubscribes when the last handler leaves, and close() stops reconnecting', () => {
    const { client, timers } = setup();
    const off = client.subscribe('chat:3', 0, () => {});
    last().serverOpen();
    off();
    expect(last().sent).toEqual([
      { type: 'subscribe', channel: 'chat:3', after: 0 },
      { type: 'unsubscribe', channel: 'chat:3' },
    ]);
    client.close();
    expect(client.state).toBe('closed');
    expect(last().closed).toBe(true);
    timers.advance(10_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('reports server error messages without closing', () => {
    const { client } = setup();
    const errs: string[] = [];
    client.onError((m) => errs.push(m));
    client.subscribe('mission:9', 0, () => {});
    last().serverOpen();
    last().onmessage?.({ data: JSON.stringify({ type: 'error', message: 'not yours', channel: 'mission:9' }) });
    expect(errs).toEqual(['not yours']);
    expect(client.state).toBe('open');
  });

  it('stops on a session the server ended (4401) or a socket limit (4429), and says why', () => {
    for (const code of [4401, 4429]) {
      const { client, timers } = setup();
      const closes: number[] = [];
      const errs: string[] = [];
      client.onServerClose((c) => closes.push(c));
      client.onError((m) => errs.push(m));
      last().serverOpen();
      last().serverClose(code, code === 4401 ? 'password changed; log in again' : 'too many WebSockets for this user (limit 16)');
      timers.advance(60_000);
      expect(FakeSocket.all).toHaveLength(1); // no reconnect attempt
      expect(client.state).toBe('closed');
      expect(closes).toEqual([code]);
      expect(errs[0]).toMatch(code === 4401 ? /password changed/ : /too many WebSockets/);
    }
  });

  it('reconnects after a role change (4403) with the new rights', () => {
    const { timers } = setup();
    last().serverOpen();
    last().serverClose(4403, 'role changed; reconnect');
    expect(timers.pending()).toEqual([100]);
    timers.advance(100);
    expect(FakeSocket.all).toHaveLength(2);
  });
});
