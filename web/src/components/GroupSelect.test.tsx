/*
 * The one group selector of the UI: it lists the user's groups after the
 * choice that means "none" here, shows the chosen one, and reports a choice
 * as the group's id ('' for the empty choice).
 */
import { describe, it, expect, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/react';
import { normGroup } from '../lib/api';
import { group } from '../test/fixtures';
import { GroupSelect } from './GroupSelect';

const GROUPS = [normGroup(group({ id: 'g1', name: 'Physics', document_count: 2 })), normGroup(group({ id: 'g2', name: 'Biology', document_count: 0 }))];

describe('GroupSelect', () => {
  it('lists the groups after the empty choice and reports the one picked', () => {
    const onChange = vi.fn();
    render(<GroupSelect groups={GROUPS} value="" onChange={onChange} emptyLabel="All documents" aria-label="Group" />);
    const select = screen.getByLabelText('Group') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['All documents', 'Physics', 'Biology']);
    expect(select.value).toBe('');
    fireEvent.change(select, { target: { value: 'g2' } });
    expect(onChange).toHaveBeenCalledWith('g2');
  });

  it('shows the chosen group, reports going back to none, and can be disabled', () => {
    const onChange = vi.fn();
    const { rerender } = render(<GroupSelect groups={GROUPS} value="g1" onChange={onChange} emptyLabel="No group" data-testid="gs" />);
    const select = screen.getByTestId('gs') as HTMLSelectElement;
    expect(select.selectedOptions[0].textContent).toBe('Physics');
    fireEvent.change(select, { target: { value: '' } });
    expect(onChange).toHaveBeenCalledWith('');
    rerender(<GroupSelect groups={GROUPS} value="g1" onChange={onChange} emptyLabel="No group" data-testid="gs" disabled />);
    expect(select.disabled).toBe(true);
  });

  it('offers only the empty choice when there are no groups', () => {
    render(<GroupSelect groups={[]} value="" onChange={() => {}} emptyLabel="Choose a group…" aria-label="Group" />);
    expect([...(screen.getByLabelText('Group') as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['Choose a group…']);
  });
});
