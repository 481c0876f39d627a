import type { ConversationStore } from '../conversation-store';
import type { Steps } from '../step';
import { doctorName, formatSlot } from '../support/format';
import type { ConversationState } from '../types';
import { patientSteps } from './patient-steps';

/**
 * A patient answering a reminder: C confirms, R moves it, X cancels. The reminder worker puts the
 * conversation here when it sends the text; anything else is read as a normal message.
 */
export async function awaitReminderReply(store: ConversationStore, phone: string, appointmentId: string, startsAt: number, now: number): Promise<void> {
  const previous = await store.load('sms', phone);
  const state: ConversationState = {
    v: 1,
    at: 'reminder.reply',
    data: { appointmentId },
    back: [],
    verified: previous?.verified ?? false,
    lastActivity: now,
    seq: previous?.seq ?? 0,
    keepUntil: startsAt,
  };
  await store.save('sms', phone, state);
}

export const reminderSteps: Steps = {
  'reminder.reply': {
    help: 'Reply C to confirm your appointment, R to reschedule it or X to cancel it. MENU for everything else.',
    async ask() {
      return [{ text: 'Reply C to confirm, R to reschedule or X to cancel.' }];
    },
    async answer(t, input) {
      const id = String(t.state.data.appointmentId);
      const word = input.trim().toUpperCase();
      if (!['C', 'R', 'X'].includes(word)) {
        // Not an answer to the reminder: the usual menu reads it.
        return patientSteps['patient.menu'].answer(t, input);
      }
      const appt = await t.deps.services.appointments.get(t.actor!, id);
      const doctor = await t.deps.services.doctors.get(appt.doctorId);
      const when = formatSlot(appt.startsAt, t.zone);
      if (appt.status !== 'booked') return { done: [{ text: `That appointment is no longer booked. Reply MENU to book another time.` }] };
      if (word === 'C') {
        await t.deps.services.booking.confirmAttendance(t.actor!, id);
        return { done: [{ text: `Thanks${t.firstName ? `, ${t.firstName}` : ''}! See you on ${when}.` }] };
      }
      if (word === 'X') {
        await t.deps.services.booking.cancel(t.actor!, id, 'cancelled by the patient from a reminder');
        return { done: [{ text: `Cancelled: ${when}. Reply MENU to book another time.` }] };
      }
      const move = { appointmentId: id, doctorId: appt.doctorId, doctorName: doctor.fullName, offered: null, intro: null };
      // Rescheduling names the doctor: the date-of-birth check comes first.
      if (!t.state.verified) return { next: 'verify.dob', data: { after: 'book.when', afterData: move } };
      return { next: 'book.when', data: move, say: [{ text: `Let's find a new time with ${doctorName(doctor.fullName)}.` }] };
    },
  },
};
