import type { Transaction } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Db } from '../db/models';

/** An audit entry names who did what to whose record; it never holds the patient's data itself. */
export interface AuditEntry {
  action: string;
  outcome: 'allowed' | 'denied';
  patientId?: string | null;
  subjectType?: string;
  subjectId?: string;
  details?: Record<string, string | number | boolean | null>;
}

export interface AuditLog {
  record(actor: Actor | null, entry: AuditEntry, transaction?: Transaction): Promise<void>;
}

export function createAuditLog(db: Db): AuditLog {
  return {
    // Plain SQL rather than Audit.create: it runs inside every booking, and a model instance
    // costs more CPU than the insert itself.
    async record(actor, entry, transaction) {
      await db.sequelize.query(
        `INSERT INTO audit_log (actor_user_id, actor_role, channel, action, outcome, patient_id, subject_type, subject_id, details)
         VALUES (:actorUserId, :actorRole, :channel, :action, :outcome, :patientId, :subjectType, :subjectId, :details::jsonb)`,
        {
          replacements: {
            actorUserId: actor?.userId ?? null,
            actorRole: actor?.role ?? null,
            channel: actor?.channel ?? null,
            action: entry.action,
            outcome: entry.outcome,
            patientId: entry.patientId ?? null,
            subjectType: entry.subjectType ?? null,
            subjectId: entry.subjectId ?? null,
            // PostgreSQL's jsonb cannot hold a NUL character: one in a detail would lose the entry.
            details: JSON.stringify(entry.details ?? {}, (_key, value: unknown) => (typeof value === 'string' ? value.replace(/\u0000/g, '') : value)),
          },
          transaction,
        },
      );
    },
  };
}
