/* The in-app confirmation: shown only when open, Cancel and Escape cancel, the button confirms. */
import { describe, it, expect, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/react';
import { I18nProvider } from '../lib/i18n';
import { ConfirmDialog } from './ConfirmDialog';

function renderDialog(open: boolean) {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  render(
    <I18nProvider>
      <ConfirmDialog open={open} message="Delete the chat “Etna”?" confirmLabel="Delete" danger onConfirm={onConfirm} onCancel={onCancel} />
    </I18nProvider>,
  );
  return { onConfirm, onCancel };
}

describe('ConfirmDialog', () => {
  it('renders nothing when closed', () => {
    renderDialog(false);
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
  });
  it('confirms with its button and cancels with Cancel or Escape', () => {
    const { onConfirm, onCancel } = renderDialog(true);
    expect(screen.getByRole('alertdialog').textContent).toContain('Delete the chat “Etna”?');
    fireEvent.click(screen.getByTestId('confirm-ok'));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    fireEvent.click(screen.getByTestId('confirm-cancel'));
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(onCancel).toHaveBeenCalledTimes(2);
  });
});
