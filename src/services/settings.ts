import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { ValidationError } from '../domain/errors';
import { requireAdmin } from '../domain/policy';
import { defaultSettings, isSettingKey, settingSchemas, type ClinicSettings } from '../domain/settings';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { permit } from './permit';

export interface SettingChange {
  key: string;
  oldValue: unknown;
  newValue: unknown;
  changedBy: string | null;
  changedAt: Date;
}

export interface SettingsService {
  get(): Promise<ClinicSettings>;
  update(actor: Actor, key: string, value: unknown): Promise<ClinicSettings>;
  /** Newest first; admins only. */
  history(actor: Actor, key?: string, limit?: number): Promise<SettingChange[]>;
}

/**
 * Settings are read on every booking, so they are cached for `cacheMs`; every instance sees an
 * admin's change within that time.
 */
export function createSettingsService(deps: {
  db: Db;
  audit: AuditLog;
  clinicTimezone: string;
  now: Clock;
  cacheMs?: number;
}): SettingsService {
  const cacheMs = deps.cacheMs ?? 5_000;
  let cached: { at: number; value: ClinicSettings } | null = null;

  async function load(): Promise<ClinicSettings> {
    const rows = await deps.db.models.Setting.findAll();
    const merged: Record<string, unknown> = { ...defaultSettings(deps.clinicTimezone) };
    for (const row of rows) {
      // A row an older version wrote, or that fails today's schema, must not break bookings.
      if (!isSettingKey(row.key)) continue;
      const parsed = settingSchemas[row.key].safeParse(row.value);
      if (parsed.success) merged[row.key] = parsed.data;
    }
    return merged as ClinicSettings;
  }

  return {
    async get() {
      const now = deps.now();
      if (cached && now - cached.at < cacheMs) return cached.value;
      const value = await guardDb(load);
      cached = { at: now, value };
      return value;
    },

    async update(actor, key, value) {
      await permit(deps.audit, actor, { action: 'settings.update', subjectType: 'setting', subjectId: key }, () => requireAdmin(actor, `change setting ${key}`));
      if (!isSettingKey(key)) throw new ValidationError(`There is no setting called ${key}.`, 'key');
      const parsed = settingSchemas[key].safeParse(value);
      if (!parsed.success) throw new ValidationError(`${key} ${parsed.error.issues[0]?.message ?? 'is not valid'}`, key);
      const before = (await this.get())[key];
      await guardDb(() =>
        deps.db.sequelize.transaction(async (transaction) => {
          await deps.db.sequelize.query(
            `INSERT INTO setting_changes (key, old_value, new_value, changed_by, changed_at)
             VALUES (:key, :old::jsonb, :new::jsonb, :by, :at)`,
            { replacements: { key, old: JSON.stringify(before), new: JSON.stringify(parsed.data), by: actor.userId, at: new Date(deps.now()) }, transaction },
          );
          await deps.db.models.Setting.upsert(
            { key, value: parsed.data, updatedBy: actor.userId, updatedAt: new Date(deps.now()) },
            { transaction },
          );
          await deps.audit.record(actor, { action: 'settings.update', outcome: 'allowed', subjectType: 'setting', subjectId: key }, transaction);
        }),
      );
      cached = null;
      return this.get();
    },

    async history(actor, key, limit = 20) {
      await permit(deps.audit, actor, { action: 'settings.history', subjectType: 'setting', subjectId: key }, () => requireAdmin(actor, 'read setting history'));
      const rows = await guardDb(() =>
        deps.db.sequelize.query<{ key: string; old_value: unknown; new_value: unknown; changed_by: string | null; changed_at: Date }>(
          `SELECT key, old_value, new_value, changed_by, changed_at FROM setting_changes
            ${key ? 'WHERE key = :key' : ''} ORDER BY changed_at DESC, id DESC LIMIT :limit`,
          { replacements: { key: key ?? null, limit: Math.min(Math.max(limit, 1), 100) }, type: QueryTypes.SELECT },
        ),
      );
      return rows.map((r) => ({ key: r.key, oldValue: r.old_value, newValue: r.new_value, changedBy: r.changed_by, changedAt: new Date(r.changed_at) }));
    },
  };
}
