import type { SelectHTMLAttributes } from 'react';
import type { Group } from '../lib/api';

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange' | 'children'> & {
  groups: Group[];
  /** the chosen group's id, '' for the first (empty) choice */
  value: string;
  onChange: (groupId: string) => void;
  /** what the empty choice means here: "All documents", "No group", "Choose a group…" */
  emptyLabel: string;
};

/** A choice among the user's document groups; every other attribute goes to the <select>. */
export function GroupSelect({ groups, value, onChange, emptyLabel, ...rest }: Props) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} {...rest}>
      <option value="">{emptyLabel}</option>
      {groups.map((g) => (
        <option key={g.id} value={g.id}>
          {g.name}
        </option>
      ))}
    </select>
  );
}
