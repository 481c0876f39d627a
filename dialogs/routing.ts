import { DateTime } from 'luxon';
import { firstName } from '../src/domain/patient';
import { doctorMenu, DOCTOR_HELP } from './doctor/menu';
import { scheduleFor } from './doctor/schedule';
import { seriesFrom } from './doctor/series';
import type { FlowStart, Turn } from './flow';
import { appointmentsFrom } from './patient/appointments';
import { bookingFrom } from './patient/booking';
import { WAITLIST_WORDS, waitlistFrom } from './patient/waitlist';
import { patientMenu } from './patient/menu';
import type { Understood } from './understanding';
import type { Reply } from './types';

/**
 * A message read as a new request, wherever it came (at the menu, or in the middle of another
 * flow: a list never traps). A flow to start, words to answer with, or null when it says nothing
 * this role can act on.
 */
export type Routed = FlowStart | Reply[] | null;

/** Whether a message asked for something (a new patient's first text is kept and carried out). */
export function isRequest(u: Understood): boolean {
  return Boolean(u.doctors.length || u.specialty || u.when || (u.intent && ['book', 'cancel', 'reschedule', 'list', 'past', 'specialties'].includes(u.intent)));
}

function isPast(when: NonNullable<Understood['when']>, t: Turn): boolean {
  const today = DateTime.fromMillis(t.deps.now(), { zone: t.zone }).toISODate()!;
  if (when.kind === 'day') return when.date < today;
  if (when.kind === 'range') return when.to < today;
  return false;
}

export async function routePatient(t: Turn, u: Understood): Promise<Routed> {
  if (WAITLIST_WORDS.test(u.text)) return { flow: 'waitlist', data: waitlistFrom(u) };
  switch (u.intent) {
    case 'cancel':
      return { flow: 'appointments', data: appointmentsFrom('cancel', u) };
    case 'reschedule':
      return { flow: 'appointments', data: appointmentsFrom('reschedule', u) };
    case 'list':
      return { flow: 'appointments', data: appointmentsFrom('view', u) };
    case 'past':
      return { flow: 'appointments', step: 'past', data: { mode: 'view' } };
    case 'details':
      return { flow: 'profile', data: {} };
    case 'specialties':
      return { flow: 'booking', data: bookingFrom(u, { listSpecialties: !u.specialty && !u.doctors.length }) };
    case 'greeting':
      return patientMenu(t, t.say('menu.hi', { who: t.firstName ? ` ${t.firstName}` : '' }));
    case 'thanks':
      return [{ text: t.say('routing.welcome') }];
    case 'bye':
      return [{ text: t.say('routing.bye', { who: t.firstName ? `, ${t.firstName}` : '' }) }];
    case 'help':
      return [{ text: t.say('help.patient') }];
    default:
  }
  // A day long past ('03/14/1990', a date of birth sent late) is no request to book.
  const past = u.when !== null && isPast(u.when, t);
  if (past && !u.doctors.length && !u.specialty) {
    return u.rest ? [{ text: t.say('routing.past') }] : null;
  }
  const ahead = u.when && !past ? u.when : null;
  if (u.intent === 'book' || u.doctors.length || u.specialty || (ahead && !u.yesNo && u.choice === null)) return { flow: 'booking', data: bookingFrom(u) };
  return null;
}

/** 'calendar link', 'calendar link with names', 'calendar revoke': the doctor's private ICS feed. */
async function calendarFeed(t: Turn, text: string): Promise<Reply[]> {
  const feeds = t.deps.services.calendarFeeds;
  const doctorId = t.actor!.doctorId!;
  if (/\b(revoke|stop|off|remove|delete|turn off)\b/i.test(text)) {
    const had = await feeds.revoke(t.actor!, doctorId);
    return [{ text: had ? 'Done: your calendar address no longer works. Ask for a new one any time.' : 'You have no calendar address to turn off.' }];
  }
  const showNames = /\bwith (patient'?s? )?names\b/i.test(text);
  const { token } = await feeds.create(t.actor!, doctorId, { showNames });
  const url = `${(t.deps.publicBaseUrl ?? 'http://localhost:3978').replace(/\/$/, '')}/calendar/${token}.ics`;
  return [
    {
      text:
        `Your private calendar address (subscribe to it in Google, Outlook or Apple Calendar): ${url}\n` +
        `${showNames ? 'It shows your patients\' names: keep it to yourself.' : "It shows times and places, not patients' names ('calendar link with names' to include them)."} ` +
        "Any earlier address has stopped working; 'calendar revoke' turns this one off.",
    },
  ];
}

/** 'my calendar https://...': the doctor's own calendar blocks their slots; 'my calendar off' stops it. */
async function ownCalendar(t: Turn, text: string): Promise<Reply[]> {
  const calendars = t.deps.services.externalCalendars;
  const doctorId = t.actor!.doctorId!;
  const url = /https:\/\/\S+/i.exec(text)?.[0] ?? null;
  if (!url) {
    await calendars.set(t.actor!, doctorId, null);
    return [{ text: 'Done: your own calendar no longer blocks your slots.' }];
  }
  await calendars.set(t.actor!, doctorId, url);
  const [result] = await calendars.pull(doctorId);
  if (result?.outcome === 'failed') return [{ text: "Saved, but I couldn't read that calendar yet; I'll keep trying every five minutes. Check it is the secret address in iCal format." }];
  return [{ text: `Done: ${result?.busy ?? 0} busy times from your calendar now block your slots, and I check it every five minutes. Say 'my calendar off' to stop.` }];
}

export async function routeDoctor(t: Turn, u: Understood): Promise<Routed> {
  if (/\bcalendar\b/i.test(u.text) && (/https:\/\//i.test(u.text) || /\b(my|own|busy) calendar off\b/i.test(u.text))) return ownCalendar(t, u.text);
  if (/\b(calendar|ics|ical)\b/i.test(u.text) && /\b(link|address|url|feed|subscribe|revoke|stop|off|names)\b/i.test(u.text)) return calendarFeed(t, u.text);
  // 'Alice Jones every Tuesday at 10 for 6 weeks': a series for one of their patients.
  if (u.series && u.intent !== 'timeoff' && u.intent !== 'hours') return { flow: 'doctorSeries', data: seriesFrom(t, u) };
  switch (u.intent) {
    case 'timeoff': {
      // Time off is ahead of now, where a schedule may look back: 'Nov 20' then means next year's.
      const ahead = await t.understand(u.text, { prefer: 'future' });
      return { flow: 'timeoff', data: { when: ahead.when, vacation: /vacation|holiday/i.test(u.text) } };
    }
    case 'unblock':
      return { flow: 'timeoff', step: 'list', data: {} };
    case 'hours':
      return { flow: 'hours', data: { text: u.text } };
    case 'greeting':
      return doctorMenu(`Hi${t.actor?.name ? ` Dr ${firstName(t.actor.name)}` : ''}! What would you like?`);
    case 'thanks':
      return [{ text: "You're welcome!" }];
    case 'bye':
      return [{ text: 'Take care!' }];
    case 'help':
      return [{ text: DOCTOR_HELP }];
    default:
  }
  if (u.intent === 'schedule' || (u.when && u.choice === null)) {
    const next = scheduleFor(t, u.when);
    return typeof next === 'string' ? [{ text: next }] : next;
  }
  return null;
}
