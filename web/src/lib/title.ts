/* The browser tab's title follows the page: "<page> · Maestro". */
import { useEffect } from 'react';

export function pageTitle(title: string): string {
  return title ? `${title} · Maestro` : 'Maestro';
}

/** Sets document.title while the page is shown (title '' = just "Maestro"). */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = pageTitle(title);
  }, [title]);
}

/** The title key of a route whose page does not name itself (those that do: missions, chats, drafts). */
export function routeTitleKey(pathname: string): string | null {
  if (pathname === '/') return 'title.dashboard';
  if (pathname === '/missions/new') return 'title.newMission';
  if (pathname === '/missions/new/advanced') return 'title.advanced';
  if (pathname === '/documents' || pathname.startsWith('/documents/')) return 'title.documents';
  if (pathname === '/chat' || pathname === '/chat/new') return 'title.chat';
  if (pathname === '/settings') return 'title.settings';
  if (pathname === '/admin') return 'title.admin';
  if (pathname === '/login') return 'title.login';
  if (/^\/(missions|chat)\/[^/]+$/.test(pathname) || pathname.startsWith('/missions/drafts/')) return null;
  return null;
}
