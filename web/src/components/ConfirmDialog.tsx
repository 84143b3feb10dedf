/* An in-app confirmation dialog (never the browser's confirm()): a modal
 * <dialog>-like box with a message and two buttons, Escape cancels. */
import { useEffect, useRef } from 'react';
import { useI18n } from '../lib/i18n';

export function ConfirmDialog({
  open,
  message,
  confirmLabel,
  danger = false,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  message: string;
  confirmLabel?: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onCancel]);
  if (!open) return null;
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div className="modal card" role="alertdialog" aria-modal="true" aria-labelledby="confirm-msg" data-testid="confirm-dialog" onClick={(e) => e.stopPropagation()}>
        <p id="confirm-msg">{message}</p>
        <div className="modal-actions">
          <button type="button" className="btn" ref={cancelRef} onClick={onCancel} data-testid="confirm-cancel">
            {t('common.cancel')}
          </button>
          <button type="button" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={onConfirm} data-testid="confirm-ok">
            {confirmLabel || t('dialog.confirm')}
          </button>
        </div>
      </div>
    </div>
  );
}
