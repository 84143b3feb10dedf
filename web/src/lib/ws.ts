/*
 * LiveClient: one WebSocket to /api/ws shared by the whole app.
 *
 * - Subscriptions are per channel ("mission:42", "documents", "chat:7"). The
 *   client remembers the highest `seq` it has delivered on each channel.
 * - When the socket opens (first time or after a drop) it (re)subscribes to
 *   every channel with `after: lastSeq`, so the server replays exactly what
 *   was missed (catch-up) and then streams live events.
 * - Events whose seq is not above lastSeq are dropped: a replay that overlaps
 *   what was already shown never shows anything twice.
 * - A dropped socket is reopened with exponential backoff (base * 2^n, capped,
 *   with a little jitter); the state goes to "reconnecting" meanwhile so the UI
 *   can say so. No polling anywhere.
 *
 * The socket constructor and timers are injectable so tests can drive it
 * with a fake WebSocket and fake time.
 */

import type * as C from './contract';

export interface LiveEvent {
  type: 'event';
  channel: string;
  seq: number;
  event: string;
  /** the event's data: its shape per channel and event is in contract.ts (EVENTS) */
  data: Record<string, unknown>;
  ts?: string;
}

export type ConnState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface LiveClientOptions {
  url: () => string;
  factory?: SocketFactory;
  baseDelay?: number; // ms
  maxDelay?: number; // ms
  jitter?: number; // fraction of the delay, 0..1
  pingInterval?: number; // ms, 0 = off
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (h: unknown) => void;
}

type Handler = (ev: LiveEvent) => void;

/* Channels the server accepts by a short name and answers under "name:<user id>". */
const ALIASES = new Set(['documents']);

interface ChannelState {
  lastSeq: number;
  handlers: Set<Handler>;
}

const OPEN = 1;

export class LiveClient {
  private opts: Required<LiveClientOptions>;
  private sock: SocketLike | null = null;
  private channels = new Map<string, ChannelState>();
  private stateListeners = new Set<(s: ConnState) => void>();
  private errorListeners = new Set<(msg: string, channel?: string) => void>();
  private closeListeners = new Set<(code: number, reason: string) => void>();
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private attempt = 0;
  private stopped = true;
  state: ConnState = 'idle';

  constructor(opts: LiveClientOptions) {
    this.opts = {
      factory: (u) => new WebSocket(u) as unknown as SocketLike,
      baseDelay: 500,
      maxDelay: 15_000,
      jitter: 0.2,
      pingInterval: 25_000,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...opts,
    } as Required<LiveClientOptions>;
  }

  /** Delay before reconnect attempt number `n` (0-based), without jitter. */
  backoff(n: number): number {
    return Math.min(this.opts.maxDelay, this.opts.baseDelay * Math.pow(2, n));
  }

  connect() {
    this.stopped = false;
    if (this.sock) return;
    this.open();
  }

  /** Close for good (logout). Subscriptions are forgotten. */
  close() {
    this.stopped = true;
    this.clearTimers();
    const s = this.sock;
    this.sock = null;
    if (s) {
      s.onclose = s.onerror = s.onmessage = s.onopen = null;
      try {
        s.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.channels.clear();
    this.setState('closed');
  }

  onState(fn: (s: ConnState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Called when the server closed the socket for good (codes 4401, 4429). */
  onServerClose(fn: (code: number, reason: string) => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  onError(fn: (msg: string, channel?: string) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  lastSeq(channel: string): number {
    return this.channels.get(channel)?.lastSeq ?? 0;
  }

  /**
   * Listen to a channel. `after` is the seq the caller already knows (0 for
   * everything). Returns the unsubscribe function.
   */
  subscribe(channel: string, after: number, handler: Handler): () => void {
    let ch = this.channels.get(channel);
    const fresh = !ch;
    if (!ch) {
      ch = { lastSeq: after, handlers: new Set() };
      this.channels.set(channel, ch);
    }
    ch.handlers.add(handler);
    if (fresh) this.sendSubscribe(channel); // sent now if open, else on open
    return () => {
      const c = this.channels.get(channel);
      if (!c) return;
      c.handlers.delete(handler);
      if (c.handlers.size === 0) {
        this.channels.delete(channel);
        this.send({ type: 'unsubscribe', channel });
      }
    };
  }

  /*
   * The subscription an event belongs to. The server resolves a few aliases
   * to the user's own channel ("documents" is "documents:<user id>") and
   * sends events under the resolved name, so an event of "documents:u1" is
   * delivered to the "documents" subscription when there is no exact one.
   * (Without this, document status events never reached the library page:
   * it only caught up on reload.)
   */
  private channelFor(name: string): ChannelState | undefined {
    const exact = this.channels.get(name);
    if (exact) return exact;
    const colon = name.indexOf(':');
    const alias = colon > 0 ? name.slice(0, colon) : '';
    return ALIASES.has(alias) ? this.channels.get(alias) : undefined;
  }

  private sendSubscribe(channel: string) {
    const ch = this.channels.get(channel);
    if (!ch) return;
    this.send({ type: 'subscribe', channel, after: ch.lastSeq });
  }

  private send(msg: unknown): boolean {
    if (!this.sock || this.sock.readyState !== OPEN) return false;
    try {
      this.sock.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  private setState(s: ConnState) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of [...this.stateListeners]) fn(s);
  }

  private clearTimers() {
    if (this.reconnectTimer !== null) this.opts.clearTimer(this.reconnectTimer);
    if (this.pingTimer !== null) this.opts.clearTimer(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
  }

  private open() {
    this.clearTimers();
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let sock: SocketLike;
    try {
      sock = this.opts.factory(this.opts.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.sock = sock;
    sock.onopen = () => {
      if (this.sock !== sock) return;
      this.attempt = 0;
      this.setState('open');
      for (const name of this.channels.keys()) this.sendSubscribe(name);
      this.schedulePing();
    };
    sock.onmessage = (ev) => {
      if (this.sock !== sock) return;
      this.handleMessage(ev.data);
    };
    sock.onerror = () => {
      /* onclose follows and does the work */
    };
    sock.onclose = (ev) => {
      if (this.sock !== sock) return;
      this.sock = null;
      const code = Number(ev?.code);
      const reason = typeof ev?.reason === 'string' ? ev.reason : '';
      // The server's own close codes (docs/api.md): 4401 the session ended
      // (logged out, disabled, password changed), 4429 too many sockets:
      // reconnecting cannot help, so stop and say why; 4403 the role
      // changed: reconnect (as after any drop) with the current rights.
      if (code === 4401 || code === 4429) {
        this.stopped = true;
        this.clearTimers();
        this.setState('closed');
        for (const fn of [...this.closeListeners]) fn(code, reason);
        for (const fn of [...this.errorListeners]) fn(reason || (code === 4401 ? 'session ended' : 'too many connections'));
        return;
      }
      if (this.stopped) {
        this.setState('closed');
        return;
      }
      this.scheduleReconnect();
    };
  }

  private schedulePing() {
    if (!this.opts.pingInterval) return;
    this.pingTimer = this.opts.setTimer(() => {
      this.pingTimer = null;
      if (this.send({ type: 'ping' })) this.schedulePing();
    }, this.opts.pingInterval);
  }

  private scheduleReconnect() {
    this.clearTimers();
    this.setState('reconnecting');
    const base = this.backoff(this.attempt);
    const jitter = base * this.opts.jitter * this.opts.random();
    this.attempt += 1;
    this.reconnectTimer = this.opts.setTimer(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, Math.round(base + jitter));
  }

  private handleMessage(raw: unknown) {
    let msg: C.WsFrame;
    try {
      msg = (typeof raw === 'string' ? JSON.parse(raw) : raw) as C.WsFrame;
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'event') {
      const ch = this.channelFor(String(msg.channel));
      if (!ch) return;
      const seq = Number(msg.seq);
      if (Number.isFinite(seq)) {
        if (seq <= ch.lastSeq) return; // duplicate from a replay
        ch.lastSeq = seq;
      }
      const ev: LiveEvent = { type: 'event', channel: msg.channel, seq, event: msg.event, data: msg.data ?? {}, ts: msg.ts ?? undefined };
      for (const h of [...ch.handlers]) {
        try {
          h(ev);
        } catch (e) {
          // a broken handler must not break the others
          console.error(e);
        }
      }
    } else if (msg.type === 'error') {
      for (const fn of [...this.errorListeners]) fn(msg.message || 'error', msg.channel);
    }
  }
}
