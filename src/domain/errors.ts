/**
 * Typed domain errors. Services throw them; dialogs and adapters turn them into replies.
 * Each carries a stable code so a channel can choose its wording without parsing messages.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** The slot is booked, or someone else is booking it this very moment. */
export class SlotTakenError extends DomainError {
  readonly code = 'SLOT_TAKEN';
  constructor(
    readonly doctorId: string,
    readonly startsAt: Date,
    readonly why: 'booked' | 'being-booked' = 'booked',
  ) {
    super('That time has just been taken.');
  }
}

/** The time asked for is not bookable at all: outside hours, in time off, in the past, too soon, too far. */
/** Why a time cannot be booked, with what the words need: dialogs say it in the person's language. */
export type SlotRefusal =
  | { kind: 'inactive' }
  | { kind: 'past' }
  | { kind: 'notice'; minutes: number }
  | { kind: 'horizon'; days: number }
  | { kind: 'unavailable'; doctor: string }
  | { kind: 'not-a-slot'; doctor: string };

export class SlotUnavailableError extends DomainError {
  readonly code = 'SLOT_UNAVAILABLE';
  constructor(
    readonly reason: string,
    readonly why?: SlotRefusal,
  ) {
    super(reason);
  }
}

/** The patient already has an appointment that overlaps the time asked for. */
export class PatientBusyError extends DomainError {
  readonly code = 'PATIENT_BUSY';
  constructor() {
    super('You already have an appointment at that time.');
  }
}

/** The patient already holds as many appointments as the clinic allows (in all, or with one doctor that day). */
export class BookingLimitError extends DomainError {
  readonly code = 'BOOKING_LIMIT';
  constructor(
    readonly limit: 'upcoming' | 'doctor-day',
    readonly max: number,
  ) {
    super(limit === 'upcoming' ? `You already have ${max} upcoming appointments.` : 'You already have an appointment with this doctor that day.');
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(readonly action: string) {
    super(`Not allowed: ${action}`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(readonly what: string) {
    super(`${what} was not found.`);
  }
}

export class ValidationError extends DomainError {
  readonly code = 'INVALID';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

/** The appointment cannot move to the state asked for (cancel a past one, reschedule a cancelled one). */
export class InvalidStateError extends DomainError {
  readonly code = 'INVALID_STATE';
}

/** A dependency (database, Redis) is unreachable. Nothing was written; the user may try again shortly. */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE';
  constructor(readonly dependency: 'database' | 'redis', options?: { cause?: unknown }) {
    super('The booking system is busy; please try again shortly.');
    if (options?.cause) (this as { cause?: unknown }).cause = options.cause;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
