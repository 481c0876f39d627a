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
      help: 'reminder.help',
      async ask(t) {
        return [{ text: t.say('reminder.ask') }];
      },
      async answer(t, d, u) {
        const word = u.text.trim().toLowerCase().replace(/[.!]+$/, '');
        // 'sure, see you then', 'yes thank you!': a yes up front confirms, whatever follows it.
        const leadingYes = yesNo(word.split(/[\s,.!]+/)[0] ?? '', t.locale) === 'yes' && u.intent !== 'cancel' && u.intent !== 'reschedule';
        const confirm = ['c', 'confirm', 'confirmed', 'confirmo', 'confirmar', 'confirmada'].includes(word) || u.yesNo === 'yes' || u.intent === 'yes' || leadingYes;
        const move = ['r', 'change', 'move', 'cambiar', 'cambiarla'].includes(word) || u.intent === 'reschedule';
        const off = ['x', 'call it off', 'call off', 'anular', 'anularla'].includes(word) || u.intent === 'cancel';
        if (!confirm && !move && !off) return { unhandled: true };
        const appt = await t.deps.services.appointments.get(t.actor!, d.appointmentId);
        if (appt.status !== 'booked') return { done: [{ text: t.say('reminder.notBooked') }] };
        const when = formatSlot(appt.startsAt, t.zone, t.deps.now(), t.locale);
        if (confirm) {
          await t.deps.services.booking.confirmAttendance(t.actor!, d.appointmentId);
          return { done: [{ text: t.say('reminder.confirmed', { who: t.firstName ? `, ${t.firstName}` : '', when }) }] };
        }
        if (off) {
          await t.deps.services.booking.cancel(t.actor!, d.appointmentId, 'cancelled by the patient from a reminder');
          return { done: [{ text: t.say('reminder.cancelled', { when }) }] };
        }
        const doctor = await t.deps.services.doctors.get(appt.doctorId);
        const move_ = { flow: 'booking' as const, data: { moving: d.appointmentId, doctorId: appt.doctorId, doctorName: doctor.fullName, when: u.when } };
        // Moving names the doctor: the date-of-birth check comes first.
        if (!t.state.verified) return { start: { flow: 'verification', data: { then: move_ } } };
        return { start: move_, say: [{ text: t.say('reminder.newTime', { doctor: doctorName(doctor.fullName) }) }] };
      },
    },
  },
};
