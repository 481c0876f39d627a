import restify, { type Request, type Response, type Server } from 'restify';
import type { ClinicDirectory } from '../../src/services/doctors';
import { all, countOf, dateRange, idFrom, outcome, queryOf, queryString, SearchError, searchset, send, type FhirContext } from './http';
import { toSlot } from './resources';
import { visitTypeMatches } from './directory-routes';

/**
 * Free Slots, computed by the same slot engine the conversations use (never stored): for one
 * doctor's Schedule, over at most a month, for one kind of visit when service-type names it.
 * Paged with a next link that starts after the last slot shown.
 */
export const MAX_SLOT_DAYS = 31;
const DAY = 86_400_000;

type VisitKind = ClinicDirectory['visitTypes'][number];

/** The kind of visit a service-type token names (by id or name); undefined when it names none. */
export function visitKindFor(dir: ClinicDirectory, values: string[]): VisitKind | null | undefined {
  if (values.length === 0) return null;
  const code = values[0].split(',')[0].split('|').pop()!.trim().toLowerCase();
  return dir.visitTypes.find((v) => visitTypeMatches(v, code));
}

export function mountSlotRoutes(server: Server, fhir: FhirContext): void {
  const { services } = fhir;

  server.get('/fhir/Slot', restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    if (!(await fhir.access(req, res, 'system/Slot.read'))) return;
    const q = queryOf(req);
    try {
      const actor = all(q['schedule.actor'])[0] ?? all(q.schedule)[0];
      const id = idFrom(actor, all(q['schedule.actor']).length ? 'Practitioner' : 'Schedule');
      if (!id) return send(res, 400, outcome('error', 'required', 'schedule.actor=Practitioner/<id> (or schedule=Schedule/<id>) is required.'));
      const status = all(q.status)[0];
      if (status && status !== 'free') return send(res, 200, searchset(fhir.base, `Slot${queryString(q)}`, [], { total: 0 }));
      const range = dateRange(all(q.start), fhir.zone, 'start');
      const from = range.from?.getTime() ?? Date.now();
      const to = range.to?.getTime() ?? from + 14 * DAY;
      if (!(to > from) || to - from > MAX_SLOT_DAYS * DAY) return send(res, 400, outcome('error', 'invalid', `Ask for 1 to ${MAX_SLOT_DAYS} days of slots.`));
      // The directory only when a kind of visit is asked for: a plain search is one engine call.
      const kind = all(q['service-type']).length ? visitKindFor(await services.doctors.directory(), all(q['service-type'])) : null;
      if (kind === undefined) return send(res, 400, outcome('error', 'invalid', 'service-type names no kind of visit here (see HealthcareService).'));
      if (kind && !kind.doctorIds.includes(id)) return send(res, 200, searchset(fhir.base, `Slot${queryString(q)}`, [], { total: 0 }));
      const count = countOf(q, 100, 500);
      const slots = await services.availability.freeSlots(id, new Date(from), new Date(to), count + 1, { visitTypeId: kind?.id ?? null });
      const shown = slots.slice(0, count).map((s) => toSlot(id, s, kind));
      // More than a page: the next one starts after the last slot shown.
      const next = slots.length > count ? `Slot${queryString(q, { start: [`gt${new Date(slots[count - 1].start).toISOString()}`, `lt${new Date(to).toISOString()}`] })}` : undefined;
      send(res, 200, searchset(fhir.base, `Slot${queryString(q)}`, shown, { next }));
    } catch (err) {
      if (err instanceof SearchError) return send(res, 400, outcome('error', 'invalid', err.message));
      fhir.failed(res, err);
    }
  });

  // A Slot's id is its doctor and start: read, it is the free time still there, or 404 when it is gone.
  server.get('/fhir/Slot/:id', async (req: Request, res: Response) => {
    if (!(await fhir.access(req, res, 'system/Slot.read'))) return;
    const m = /^([0-9a-f-]{36})\.(\d{13})$/.exec(String(req.params.id));
    if (!m) return send(res, 404, outcome('error', 'not-found', 'No such Slot.'));
    try {
      const start = Number(m[2]);
      const [slot] = await services.availability.freeSlots(m[1], new Date(start), new Date(start + DAY), 1);
      if (!slot || slot.start !== start) return send(res, 404, outcome('error', 'not-found', 'That Slot is no longer free.'));
      send(res, 200, toSlot(m[1], slot, null));
    } catch (err) {
      fhir.failed(res, err);
    }
  });
}
