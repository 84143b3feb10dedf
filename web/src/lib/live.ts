/* The app's single live connection, and hooks for its state and channels. */
import { useEffect, useRef, useState } from 'react';
import { LiveClient, type ConnState, type LiveEvent } from './ws';
import { api, wsUrl } from './api';

export const live = new LiveClient({ url: wsUrl });

// A socket that keeps failing may mean the token expired: ask the API, whose
// 401 handling logs out (and closes the socket) if so.
let failures = 0;
live.onState((s) => {
  if (s === 'open') failures = 0;
  if (s !== 'reconnecting') return;
  failures += 1;
  if (failures === 2 || failures % 6 === 0) api.get('/api/auth/me').catch(() => {});
});

// The server ended this session (logout elsewhere, account disabled,
// password changed): the API's 401 handling logs out.
live.onServerClose((code) => {
  if (code === 4401) api.get('/api/auth/me').catch(() => {});
});

export function useConnState(): ConnState {
  const [s, setS] = useState<ConnState>(live.state);
  useEffect(() => {
    setS(live.state);
    const off = live.onState(setS);
    return () => {
      off();
    };
  }, []);
  return s;
}

/**
 * Subscribe to a channel while the component is mounted. `after` null means
 * "not yet" (e.g. the REST snapshot is still loading).
 */
export function useChannel(channel: string | null, after: number | null, onEvent: (e: LiveEvent) => void) {
  const ref = useRef(onEvent);
  ref.current = onEvent;
  useEffect(() => {
    if (!channel || after === null) return;
    return live.subscribe(channel, after, (e) => ref.current(e));
  }, [channel, after]);
}
