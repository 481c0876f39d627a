import type { Clock } from '../domain/clock';
import type { Db } from '../db/models';
import type { SlotLock } from '../locks/slot-lock';
import { createAdminService } from './admin';
import { createAppointmentsService } from './appointments';
import { createAuditLog } from './audit';
import { createAvailabilityService } from './availability';
import { createBookingService, type BookingService } from './booking';
import { BookingLimitError, ForbiddenError, PatientBusyError, SlotTakenError, SlotUnavailableError } from '../domain/errors';
import type { BookingOutcome } from '../observability/metrics';
import { createDoctorsService } from './doctors';
import { createAppointmentEvents, type AppointmentEvent } from './events';
import { createIdentityService } from './identity';
import { createPatientsService } from './patients';
import { createReportsService } from './reports';
import { createSettingsService } from './settings';
import { createLocationsService } from './locations';
import { createVisitTypesService } from './visit-types';
import { createWaitlistService } from './waitlist';
import { createCalendarFeedsService } from './calendar-feeds';
import { createExternalCalendarsService } from './external-calendars';
import { createFhirClientsService } from './fhir-clients';

export interface ServiceDeps {
  db: Db;
  locks: SlotLock;
  now: Clock;
  clinicTimezone: string;
  settingsCacheMs?: number;
  onEventError?: (err: unknown, event: AppointmentEvent) => void;
  /** Counts how bookings go (the metrics); optional. */
  observeBooking?: (outcome: BookingOutcome) => void;
}

/** Builds every use case over the same database, lock and clock. */
export function createServices(deps: ServiceDeps) {
  const { db, now } = deps;
  const audit = createAuditLog(db);
  const settings = createSettingsService({ db, audit, now, clinicTimezone: deps.clinicTimezone, cacheMs: deps.settingsCacheMs });
  const events = createAppointmentEvents(deps.onEventError ?? (() => undefined));
  const booking = observed(createBookingService({ db, locks: deps.locks, settings, audit, events, now }), deps.observeBooking);
  const doctors = createDoctorsService({ db, settings, audit, now });
  return {
    audit,
    settings,
    events,
    booking,
    doctors,
    availability: createAvailabilityService({ db, settings, audit, now, events }),
    appointments: createAppointmentsService({ db, audit, now }),
    patients: createPatientsService({ db, audit, now }),
    identity: createIdentityService({ db, audit, now }),
    admin: createAdminService({ db, audit, doctors, booking, now }),
    reports: createReportsService({ db, settings, audit }),
    locations: createLocationsService({ db, audit }),
    visitTypes: createVisitTypesService({ db, audit }),
    waitlist: createWaitlistService({ db, audit, now, events }),
    calendarFeeds: createCalendarFeedsService({ db, audit, now }),
    externalCalendars: createExternalCalendarsService({ db, audit, now }),
    fhirClients: createFhirClientsService({ db, audit, now }),
  };
}

export type Services = ReturnType<typeof createServices>;

/** Booking, with each attempt's outcome counted: booked, taken, unavailable, over a limit, refused or failed. */
function observed(booking: BookingService, observe?: (outcome: BookingOutcome) => void): BookingService {
  if (!observe) return booking;
  const outcomeOf = (err: unknown): BookingOutcome =>
    err instanceof SlotTakenError ? 'taken'
    : err instanceof SlotUnavailableError || err instanceof PatientBusyError ? 'unavailable'
    : err instanceof BookingLimitError ? 'limit'
    : err instanceof ForbiddenError ? 'refused'
    : 'error';
  const count = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const result = await work();
      observe('booked');
      return result;
    } catch (err) {
      observe(outcomeOf(err));
      throw err;
    }
  };
  return { ...booking, book: (actor, input) => count(() => booking.book(actor, input)), reschedule: (actor, id, startsAt, holdId) => count(() => booking.reschedule(actor, id, startsAt, holdId)) };
}
