import type { Actor } from '../domain/actor';
import type { AuditEntry, AuditLog } from './audit';

/**
 * The one way a service checks a rule about who may do what: run the check; if it refuses, record
 * the refusal (best effort: a failing audit must not turn a refusal into a crash, and the caller
 * hears the refusal either way) and throw it on.
 */
export async function permit(audit: AuditLog, actor: Actor | null, entry: Omit<AuditEntry, 'outcome'>, check: () => void): Promise<void> {
  try {
    check();
  } catch (err) {
    await audit.record(actor, { ...entry, outcome: 'denied' }).catch(() => undefined);
    throw err;
  }
}
