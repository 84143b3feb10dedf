import { describe, it, expect } from 'vitest';
import { pageTitle, routeTitleKey } from './title';

describe('page titles', () => {
  it('names every static page and leaves named pages to themselves', () => {
    expect(pageTitle('Mission: Solar')).toBe('Mission: Solar · Maestro');
    expect(routeTitleKey('/')).toBe('title.dashboard');
    expect(routeTitleKey('/missions/new')).toBe('title.newMission');
    expect(routeTitleKey('/missions/new/advanced')).toBe('title.advanced');
    expect(routeTitleKey('/documents')).toBe('title.documents');
    expect(routeTitleKey('/chat')).toBe('title.chat');
    expect(routeTitleKey('/settings')).toBe('title.settings');
    expect(routeTitleKey('/admin')).toBe('title.admin');
    expect(routeTitleKey('/missions/abc')).toBeNull();
    expect(routeTitleKey('/missions/drafts/abc')).toBeNull();
    expect(routeTitleKey('/chat/abc')).toBeNull();
  });
});
