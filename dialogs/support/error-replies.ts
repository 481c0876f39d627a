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

/** A domain error in the words a patient or doctor should read. Never a stack trace, never internals. */
export function errorText(err: unknown): string {
  if (err instanceof ServiceUnavailableError) return 'Sorry, our booking system is busy right now. Please try again in a minute.';
  if (err instanceof ForbiddenError) return "Sorry, that isn't something I can do for you.";
  if (err instanceof NotFoundError) {
    const what = err.what.charAt(0).toLowerCase() + err.what.slice(1);
    return `Sorry, I couldn't find ${what}.${err.what === 'The appointment' ? ' It may have changed.' : ''}`;
  }
  if (err instanceof SlotTakenError) return 'Sorry, that time has just been taken.';
  if (err instanceof PatientBusyError) return 'You already have an appointment at that time.';
  if (err instanceof BookingLimitError) {
    return err.limit === 'upcoming'
      ? `You already have ${err.max} upcoming appointments, the most we can book by text. Reply MENU to see them, or call the clinic.`
      : 'You already have an appointment with this doctor that day. Reply MENU to see it, or choose another day.';
  }
  if (err instanceof SlotUnavailableError || err instanceof ValidationError || err instanceof InvalidStateError) return err.message;
  if (err instanceof DomainError) return err.message;
  return 'Sorry, something went wrong on our side. Please try again.';
}
