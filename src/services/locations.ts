import type { Actor } from '../domain/actor';
import { NotFoundError, ValidationError } from '../domain/errors';
import { normalizePhone, validateTimeZone } from '../domain/patient';
import { requireAdmin } from '../domain/policy';
import type { Location } from '../domain/visits';
import type { Db, LocationRow } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb, violatedConstraint } from './db-errors';
import { requireId } from './ids';
import { permit } from './permit';

export interface LocationInput {
  name: string;
  address?: string | null;
  phone?: string | null;
  timeZone: string;
}

export interface LocationsService {
  /** Active locations: names, addresses and phone numbers are public, so anyone may list them. */
  list(): Promise<Location[]>;
  get(id: string): Promise<Location | null>;
  create(actor: Actor, input: LocationInput): Promise<Location>;
  update(actor: Actor, id: string, changes: Partial<LocationInput>): Promise<Location>;
  /** A location by a name an admin typed ('downtown' finds 'Downtown Clinic'). */
  findByName(name: string): Promise<Location | null>;
}

export function toLocation(row: Pick<LocationRow, 'id' | 'name' | 'address' | 'phoneE164' | 'timeZone'>): Location {
  return { id: row.id, name: row.name, address: row.address ?? null, phoneE164: row.phoneE164 ?? null, timeZone: row.timeZone };
}

function cleanName(name: unknown): string {
  const n = String(name ?? '').trim().replace(/\s+/g, ' ');
  if (n.length < 1 || n.length > 80) throw new ValidationError('A location name is 1 to 80 characters.', 'name');
  return n;
}

function cleanAddress(address: unknown): string | null {
  const a = String(address ?? '').trim().replace(/\s+/g, ' ');
  if (a.length > 200) throw new ValidationError('An address is at most 200 characters.', 'address');
  return a || null;
}

/** The places the clinic sees patients. Admins set them up; every change is audited. */
export function createLocationsService(deps: { db: Db; audit: AuditLog }): LocationsService {
  const { db, audit } = deps;
  const { Location: Locations } = db.models;

  async function admin<T>(actor: Actor, action: string, subjectId: string | undefined, work: () => Promise<T>): Promise<T> {
    await permit(audit, actor, { action, subjectType: 'location', subjectId }, () => requireAdmin(actor, action));
    try {
      const result = await guardDb(work);
      await audit.record(actor, { action, outcome: 'allowed', subjectType: 'location', subjectId });
      return result;
    } catch (err) {
      if (violatedConstraint(err) === 'locations_name_unique') throw new ValidationError('There is already a location with that name.', 'name');
      throw err;
    }
  }

  return {
    list: () => guardDb(async () => (await Locations.findAll({ where: { active: true }, order: [['name', 'ASC']] })).map(toLocation)),

    get: (id) =>
      guardDb(async () => {
        const row = await Locations.findByPk(requireId(id, 'The location'));
        return row ? toLocation(row) : null;
      }),

    findByName: (name) =>
      guardDb(async () => {
        const wanted = String(name).trim().toLowerCase();
        if (!wanted) return null;
        const rows = await Locations.findAll({ where: { active: true } });
        const exact = rows.find((r) => r.name.toLowerCase() === wanted);
        const partial = rows.filter((r) => r.name.toLowerCase().includes(wanted));
        const found = exact ?? (partial.length === 1 ? partial[0] : undefined);
        return found ? toLocation(found) : null;
      }),

    create: (actor, input) =>
      admin(actor, 'admin.locations.create', undefined, async () => {
        const row = await Locations.create({
          name: cleanName(input.name),
          address: cleanAddress(input.address),
          phoneE164: input.phone ? normalizePhone(input.phone) : null,
          timeZone: validateTimeZone(input.timeZone),
        });
        return toLocation(row);
      }),

    update: (actor, id, changes) =>
      admin(actor, 'admin.locations.update', id, async () => {
        const row = await Locations.findByPk(requireId(id, 'The location'));
        if (!row) throw new NotFoundError('The location');
        await row.update({
          ...(changes.name !== undefined ? { name: cleanName(changes.name) } : {}),
          ...(changes.address !== undefined ? { address: cleanAddress(changes.address) } : {}),
          ...(changes.phone !== undefined ? { phoneE164: changes.phone ? normalizePhone(changes.phone) : null } : {}),
          ...(changes.timeZone !== undefined ? { timeZone: validateTimeZone(changes.timeZone) } : {}),
        });
        return toLocation(row);
      }),
  };
}
