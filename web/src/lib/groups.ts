import { useCallback, useEffect, useState } from 'react';
import { api, normGroup, type Group } from './api';
import type * as C from './contract';

/**
 * The user's document groups, loaded once on mount; `reload` asks again
 * (after a group is created, renamed or deleted, or documents move between
 * groups). A failed load leaves the list as it was: a group selector then
 * offers only its empty choice, which is what the page can still do.
 */
export function useGroups(): { groups: Group[]; reload: () => void } {
  const [groups, setGroups] = useState<Group[]>([]);
  const reload = useCallback(() => {
    api
      .get<C.GroupList>('/api/groups')
      .then((r) => setGroups(r.groups.map(normGroup)))
      .catch(() => {});
  }, []);
  useEffect(reload, [reload]);
  return { groups, reload };
}
