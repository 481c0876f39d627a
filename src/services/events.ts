import type { Actor } from '../domain/actor';
import type { AppointmentView } from '../domain/appointment';

/**
 * What happened to an appointment, told after the transaction commits. Reminders and doctor
 * notifications subscribe here; a failing subscriber never undoes or fails a booking.
 */
export type AppointmentEvent =
  | { type: 'booked'; appointment: AppointmentView; actor: Actor }
  | { type: 'cancelled'; appointment: AppointmentView; actor: Actor }
  | { type: 'rescheduled'; appointment: AppointmentView; previous: AppointmentView; actor: Actor }
  /** A time kept for a patient while they confirm it, until `expiresAt`. */
  | { type: 'held'; appointment: AppointmentView; expiresAt: Date; actor: Actor }
  /** A waitlist offer the patient said NO to: its time (the hold, now gone) goes to the next in line. */
  | { type: 'offer-declined'; appointment: AppointmentView; actor: Actor }
  /** A doctor's time opened other than by a cancellation (time off removed, hours widened): the waitlist may fill it. */
  | { type: 'time-freed'; doctorId: string; from: Date; to: Date; key: string; actor: Actor };

export type AppointmentListener = (event: AppointmentEvent) => Promise<void> | void;

export interface AppointmentEvents {
  subscribe(listener: AppointmentListener): () => void;
  publish(event: AppointmentEvent): Promise<void>;
}

export function createAppointmentEvents(onListenerError: (err: unknown, event: AppointmentEvent) => void): AppointmentEvents {
  const listeners = new Set<AppointmentListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async publish(event) {
      await Promise.all(
        [...listeners].map(async (l) => {
          try {
            await l(event);
          } catch (err) {
            onListenerError(err, event);
          }
        }),
      );
    },
  };
}
