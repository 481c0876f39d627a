import type { ConversationStore } from '../conversation-store';
import type { Flow } from '../flow';
import { doctorName, formatSlot } from '../support/format';
import type { ConversationState } from '../types';
import { yesNo } from '../understanding/answers';

/**
 * A patient answering a reminder: C (or yes, ok, 👍) confirms, R (or change) moves it, X calls it
 * off. The reminder never offers a carrier opt-out word: "cancel" alone would stop every text. The
 * reminder worker puts the conversation here when it sends the text; anything else is read as a
 * new message.
 */
export type ReminderStep = 'reply';
export interface ReminderData {
  appointmentId: string;
}

export async function awaitReminderReply(store: ConversationStore, phone: string, appointmentId: string, startsAt: number, now: number): Promise<void> {
  const previous = await store.load('sms', phone);
  const state: ConversationState = {
    v: 2,
    at: { flow: 'reminder', step: 'reply', data: { appointmentId } satisfies ReminderData },
    back: [],
    verified: previous?.verified ?? false,
    lastActivity: now,
    seq: previous?.seq ?? 0,
    keepUntil: startsAt,
  };
  await store.save('sms', phone, state);
}

export const reminderFlow: Flow<'reminder'> = {
  name: 'reminder',
  role: 'patient',
  first: 'reply',
  steps: {
    reply: {
      help: 'Reply C to confirm your appointment, R to change it or X to call it off. MENU for everything else.',
      async ask() {
        return [{ text: 'Reply C to confirm, R to change or X to call it off.' }];
      },
      async answer(t, d, u) {
        const word = u.text.trim().toLowerCase().replace(/[.!]+$/, '');
        // 'sure, see you then', 'yes thank you!': a yes up front confirms, whatever follows it.
        const leadingYes = yesNo(word.split(/[\s,.!]+/)[0] ?? '') === 'yes' && u.intent !== 'cancel' && u.intent !== 'reschedule';
        const confirm = word === 'c' || word === 'confirm' || word === 'confirmed' || u.yesNo === 'yes' || u.intent === 'yes' || leadingYes;
        const move = word === 'r' || word === 'change' || word === 'move' || u.intent === 'reschedule';
        const off = word === 'x' || word === 'call it off' || word === 'call off' || u.intent === 'cancel';
        if (!confirm && !move && !off) return { unhandled: true };
        const appt = await t.deps.services.appointments.get(t.actor!, d.appointmentId);
        if (appt.status !== 'booked') return { done: [{ text: 'That appointment is no longer booked. Reply MENU to book another time.' }] };
        const when = formatSlot(appt.startsAt, t.zone, t.deps.now());
        if (confirm) {
          await t.deps.services.booking.confirmAttendance(t.actor!, d.appointmentId);
          return { done: [{ text: `Thanks${t.firstName ? `, ${t.firstName}` : ''}! See you on ${when}.` }] };
        }
        if (off) {
          await t.deps.services.booking.cancel(t.actor!, d.appointmentId, 'cancelled by the patient from a reminder');
          return { done: [{ text: `Done: your appointment on ${when} is called off. Reply MENU to book another time.` }] };
        }
        const doctor = await t.deps.services.doctors.get(appt.doctorId);
        const move_ = { flow: 'booking' as const, data: { moving: d.appointmentId, doctorId: appt.doctorId, doctorName: doctor.fullName, when: u.when } };
        // Moving names the doctor: the date-of-birth check comes first.
        if (!t.state.verified) return { start: { flow: 'verification', data: { then: move_ } } };
        return { start: move_, say: [{ text: `Let's find a new time with ${doctorName(doctor.fullName)}.` }] };
      },
    },
  },
};
