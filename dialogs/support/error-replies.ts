import { catalog, DEFAULT_LOCALE } from '../../src/i18n/catalog';
import {
  BookingLimitError,
  DomainError,
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  PatientBusyError,
  ServiceUnavailableError,
  SlotTakenError,
  SlotUnavailableError,
  ValidationError,
} from '../../src/domain/errors';

type Say = (key: string, vars?: Record<string, unknown>) => string;
const english: Say = (key, vars) => catalog().t(DEFAULT_LOCALE, key, vars);

/**
 * A domain error in the words a patient or doctor should read, in their language. Never a stack
 * trace, never internals. The services' own messages (why a time cannot be booked) are English;
 * other languages get the catalog's general words for them until the services speak in keys.
 */
export function errorText(err: unknown, say: Say = english, locale = DEFAULT_LOCALE): string {
  if (err instanceof ServiceUnavailableError) return say('errors.busy');
  if (err instanceof ForbiddenError) return say('errors.forbidden');
  if (err instanceof NotFoundError) {
    if (err.what === 'The appointment') return say('errors.notFoundAppointment');
    if (err.what === 'The doctor') return say('errors.notFoundDoctor');
    if (err.what === 'The patient') return say('errors.notFoundPatient');
    if (locale !== DEFAULT_LOCALE) return say('errors.notFound');
    const what = err.what.charAt(0).toLowerCase() + err.what.slice(1);
    return `Sorry, I couldn't find ${what}.`;
  }
  if (err instanceof SlotTakenError) return say('errors.taken');
  if (err instanceof PatientBusyError) return say('errors.patientBusy');
  if (err instanceof BookingLimitError) {
    return err.limit === 'upcoming' ? say('errors.limitUpcoming', { count: err.max }) : say('errors.limitSameDay');
  }
  // Why a time cannot be had, in the person's words ('Esa hora ya ha pasado.').
  if (err instanceof SlotUnavailableError && err.why) {
    const { kind, ...vars } = err.why;
    return say(`errors.slot.${kind}`, vars);
  }
  if (locale !== DEFAULT_LOCALE && err instanceof DomainError) return say('errors.notPossible');
  if (err instanceof SlotUnavailableError || err instanceof ValidationError || err instanceof InvalidStateError) return err.message;
  if (err instanceof DomainError) return err.message;
  return say('errors.unknown');
}
