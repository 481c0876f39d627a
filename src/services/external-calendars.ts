import ical from 'node-ical';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireManageDoctor } from '../domain/policy';
import type { Interval } from '../domain/slots';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { requireId } from './ids';
import { permit } from './permit';

/**
 * A doctor's own calendar blocking their slots: the secret ICS address of their Google, Outlook or
 * Apple calendar, pulled with conditional GET (ETag, Last-Modified). Busy times replace the last
 * ones read in one transaction; a failed, slow or malformed pull keeps what was read before and is
 * recorded, so booking never waits on it or breaks because of it. The address is a secret: it is
 * never logged, audited or shown back in full.
 */
export interface ExternalCalendarsService {
  set(actor: Actor, doctorId: string, url: string | null): Promise<void>;
  /** Pulls every doctor's calendar (or one): how each went. */
  pull(doctorId?: string): Promise<Array<{ doctorId: string; outcome: 'updated' | 'unchanged' | 'failed'; busy?: number }>>;
}

/** How far ahead busy times are read, and how long a pull may take. */
const AHEAD_DAYS = 90;
const TIMEOUT_MS = 5000;
const MAX_BYTES = 5 * 2 ** 20;

/** Busy intervals of an iCalendar text between two instants: events (recurring ones expanded), less free and cancelled ones. */
export function busyTimes(text: string, from: number, to: number): Interval[] {
  const data = ical.sync.parseICS(text);
  const out: Interval[] = [];
  for (const item of Object.values(data)) {
    if (!item || item.type !== 'VEVENT') continue;
    const e = item as ical.VEvent & { transparency?: string; status?: string };
    if (String(e.transparency ?? '').toUpperCase() === 'TRANSPARENT' || String(e.status ?? '').toUpperCase() === 'CANCELLED') continue;
    if (!(e.start instanceof Date)) continue;
    const length = (e.end instanceof Date ? e.end.getTime() : e.start.getTime() + 86_400_000) - e.start.getTime();
    if (!(length > 0)) continue;
    const starts = e.rrule ? e.rrule.between(new Date(from - length), new Date(to), true).map((d) => d.getTime()) : [e.start.getTime()];
    const skipped = new Set(Object.values(e.exdate ?? {}).map((d) => new Date(d as Date).getTime()));
    for (const s of starts) {
      if (skipped.has(s)) continue;
      if (s < to && s + length > from) out.push({ start: s, end: s + length });
      if (out.length > 5000) return out;
    }
  }
  return out;
}

export function createExternalCalendarsService(deps: { db: Db; audit: AuditLog; now: Clock; fetch?: typeof fetch; timeoutMs?: number }): ExternalCalendarsService {
  const { db, audit } = deps;
  const { ExternalCalendar, ExternalBusy } = db.models;
  const get = deps.fetch ?? fetch;

  async function pull(row: { doctorId: string; url: string; etag: string | null; lastModified: string | null }) {
    const now = deps.now();
    const record = (changes: Record<string, unknown>) => ExternalCalendar.update({ fetchedAt: new Date(now), ...changes }, { where: { doctorId: row.doctorId } });
    try {
      const headers: Record<string, string> = { accept: 'text/calendar' };
      if (row.etag) headers['if-none-match'] = row.etag;
      if (row.lastModified) headers['if-modified-since'] = row.lastModified;
      const res = await get(row.url, { headers, signal: AbortSignal.timeout(deps.timeoutMs ?? TIMEOUT_MS), redirect: 'follow' });
      if (res.status === 304) {
        await record({ lastError: null });
        return { doctorId: row.doctorId, outcome: 'unchanged' as const };
      }
      if (!res.ok) throw new Error(`the calendar answered ${res.status}`);
      const text = await res.text();
      if (text.length > MAX_BYTES) throw new Error('the calendar is too large');
      if (!/BEGIN:VCALENDAR/.test(text)) throw new Error('that is not an iCalendar file');
      const busy = busyTimes(text, now - 86_400_000, now + AHEAD_DAYS * 86_400_000);
      await db.sequelize.transaction(async (transaction) => {
        await ExternalBusy.destroy({ where: { doctorId: row.doctorId }, transaction });
        if (busy.length) await ExternalBusy.bulkCreate(busy.map((b) => ({ doctorId: row.doctorId, startsAt: new Date(b.start), endsAt: new Date(b.end) })), { transaction });
        await ExternalCalendar.update(
          { fetchedAt: new Date(now), lastError: null, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') },
          { where: { doctorId: row.doctorId }, transaction },
        );
      });
      return { doctorId: row.doctorId, outcome: 'updated' as const, busy: busy.length };
    } catch (err) {
      // What was read before stays in force; the reason is kept short and holds no address.
      const why = (err as Error).name === 'TimeoutError' ? 'the calendar did not answer in time' : String((err as Error).message ?? err).replace(/https?:\/\/\S+/g, '[address]');
      await record({ lastError: why.slice(0, 200) }).catch(() => undefined);
      return { doctorId: row.doctorId, outcome: 'failed' as const };
    }
  }

  return {
    set: (actor, doctorId, url) =>
      guardDb(async () => {
        const id = requireId(doctorId, 'The doctor');
        await permit(audit, actor, { action: 'calendar.external.set', subjectType: 'doctor', subjectId: id }, () => requireManageDoctor(actor, id, 'set this calendar'));
        if (!(await db.models.Doctor.count({ where: { id } }))) throw new NotFoundError('The doctor');
        if (url === null) {
          await db.sequelize.transaction(async (transaction) => {
            await ExternalBusy.destroy({ where: { doctorId: id }, transaction });
            await ExternalCalendar.destroy({ where: { doctorId: id }, transaction });
          });
        } else {
          let parsed: URL;
          try {
            parsed = new URL(url.trim());
          } catch {
            throw new ValidationError('That is not a web address.', 'url');
          }
          if (parsed.protocol !== 'https:' || parsed.href.length > 1000) throw new ValidationError('The calendar address must start with https://.', 'url');
          await ExternalCalendar.upsert({ doctorId: id, url: parsed.href, etag: null, lastModified: null, lastError: null });
        }
        await audit.record(actor, { action: 'calendar.external.set', outcome: 'allowed', subjectType: 'doctor', subjectId: id, details: { on: url !== null } });
      }),

    pull: (doctorId) =>
      guardDb(async () => {
        const rows = await ExternalCalendar.findAll({ where: doctorId ? { doctorId: requireId(doctorId, 'The doctor') } : {} });
        const out = [];
        for (const r of rows) out.push(await pull({ doctorId: r.doctorId, url: r.url, etag: r.etag ?? null, lastModified: r.lastModified ?? null }));
        return out;
      }),
  };
}
