/*
 * Session state: the user and token survive a reload (localStorage). Any 401
 * from the API clears them and sends the user to the login page with a
 * "session expired" message.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, getStoredUser, getToken, login as apiLogin, logout as apiLogout, setUnauthorizedHandler, storeSession, api, normUser, type User } from './api';
import { live } from './live';

interface AuthValue {
  user: User | null;
  notice: string;
  /** the stored token was confirmed by the server (or just issued) */
  ready: boolean;
  login: (u: string, p: string) => Promise<void>;
  logout: () => Promise<void>;
  clearNotice: () => void;
  canWrite: boolean;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(() => (getToken() ? getStoredUser() : null));
  const [notice, setNotice] = useState('');
  const [ready, setReady] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      live.close();
      setReady(false);
      setUser(null);
      setNotice('auth.expired');
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  // refresh the user (role may have changed) once per load; a 401 here logs out
  useEffect(() => {
    if (!getToken()) return;
    api
      .get<User>('/api/auth/me')
      .then((r) => {
        const u = normUser(r);
        if (u.username) {
          setUser(u);
          storeSession(getToken(), u);
        }
        setReady(true);
      })
      .catch((e) => {
        // 401 logs out (handler above); anything else: carry on with the stored user
        if (!(e instanceof ApiError && e.status === 401)) setReady(true);
      });
  }, []);

  const login = useCallback(async (u: string, p: string) => {
    const r = await apiLogin(u, p);
    setNotice('');
    setUser(r.user);
    setReady(true);
  }, []);
  const logout = useCallback(async () => {
    live.close();
    await apiLogout();
    setReady(false);
    setUser(null);
    setNotice('auth.loggedOut');
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ user, notice, ready, login, logout, clearNotice: () => setNotice(''), canWrite: !!user && user.role !== 'viewer' }),
    [user, notice, ready, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
