import type { Actor } from '../src/domain/actor';
import type { Clock } from '../src/domain/clock';
import type { Logger } from '../src/logging';
import type { Services } from '../src/services';
import type { ConversationStore } from './conversation-store';
import type { Understood } from './understanding';
import type { Directory } from './understanding/lexicon';
import type { Catalog, LocaleWords } from '../src/i18n/catalog';
import type { ConversationState, InboundMessage, Reply } from './types';
import type { AppointmentsData, AppointmentsStep } from './patient/appointments';
import type { BookingData, BookingStep } from './patient/booking';
import type { ProfileData, ProfileStep } from './patient/profile';
import type { RegistrationData, RegistrationStep } from './patient/registration';
import type { ReminderData, ReminderStep } from './patient/reminder-reply';
import type { VerificationData, VerificationStep } from './patient/verification';
import type { HoursData, HoursStep } from './doctor/hours';
import type { ScheduleData, ScheduleStep } from './doctor/schedule';
import type { TimeOffData, TimeOffStep } from './doctor/time-off';
import type { DoctorSeriesData, DoctorSeriesStep } from './doctor/series';
import type { WaitlistData, WaitlistOfferData, WaitlistOfferStep, WaitlistStep } from './patient/waitlist';

/**
 * Conversations as typed flows, one flow a file, as BotBuilder's core-bot sample keeps one dialog
 * a class: each flow names its steps (a union the compiler checks at every jump) and its own state.
 * A step asks its question and reads the answer; help, menu, back, exit and "that is a new request"
 * are the engine's, once for every flow.
 */

/** Every flow, with its steps and its data. */
export interface Flows {
  registration: { step: RegistrationStep; data: RegistrationData };
  booking: { step: BookingStep; data: BookingData };
  appointments: { step: AppointmentsStep; data: AppointmentsData };
  profile: { step: ProfileStep; data: ProfileData };
  verification: { step: VerificationStep; data: VerificationData };
  reminder: { step: ReminderStep; data: ReminderData };
  schedule: { step: ScheduleStep; data: ScheduleData };
  hours: { step: HoursStep; data: HoursData };
  timeoff: { step: TimeOffStep; data: TimeOffData };
  doctorSeries: { step: DoctorSeriesStep; data: DoctorSeriesData };
  waitlist: { step: WaitlistStep; data: WaitlistData };
  waitlistOffer: { step: WaitlistOfferStep; data: WaitlistOfferData };
}

export type FlowName = keyof Flows;
export type StepOf<F extends FlowName> = Flows[F]['step'];
export type DataOf<F extends FlowName> = Flows[F]['data'];

/** Starting a flow: which, at which step (its first by default), with what. Checked per flow. */
export type FlowStart = { [F in FlowName]: { flow: F; step?: StepOf<F>; data: DataOf<F> } }[FlowName];

/** What a step says happens next. */
export type Next<F extends FlowName> =
  /** Another step of the same flow (the current one is remembered for BACK), data merged in. */
  | { to: StepOf<F>; data?: Partial<DataOf<F>>; say?: Reply[]; replace?: boolean }
  /** Another flow (the current step is remembered for BACK unless `replace`). */
  | { start: FlowStart; say?: Reply[]; replace?: boolean }
  /** The flow is over: back to the menu. */
  | { done: Reply[] }
  /** The answer did not fit: say why and ask again (or, `alone`, the words already ask again). */
  | { retry: string; alone?: boolean }
  /** Not an answer to this step at all: the engine reads it as a new request. */
  | { unhandled: true }
  /** From ask: show these and wait here, keeping what was looked up for the answer. */
  | { stay: Reply[]; data: Partial<DataOf<F>> };

/** What every step is given. */
export interface DialogDeps {
  services: Services;
  store: ConversationStore;
  now: Clock;
  clinicName: string;
  /** Where the service is reached from outside (calendar feed addresses are built on it). */
  publicBaseUrl?: string;
  /** The number patients are told to call ('Please call the clinic at ...'); the words alone when unset. */
  clinicPhone?: string | null;
  /** The clinic's zone: new patients start in it. */
  clinicTimezone: string;
  logger?: Logger;
  /** The /clinic admin grammar; admin chat text goes through it. */
  adminCommands?: (actor: Actor, text: string) => Promise<Reply[]>;
  /** An idle conversation starts over after this long (default 30 minutes). */
  idleMs?: number;
  /** Whether a new number may start registering now (the clinic's registration throttle). */
  registrations?: { admit(phone: string): Promise<'ok' | 'block-full' | 'clinic-full'> };
  /** The clinic's doctors and specialties, for reading names and symptoms (cached by the engine). */
  directory?: () => Promise<Directory>;
  /** The patient-facing texts, per language (src/i18n); the shipped catalogs by default. */
  catalog?: Catalog;
}

export interface Turn {
  deps: DialogDeps;
  actor: Actor | null;
  msg: InboundMessage;
  state: ConversationState;
  /** The zone the person reads times in: the patient's own, or the doctor's, or the clinic's. */
  zone: string;
  /** The patient's first name, for a friendly word. */
  firstName: string | null;
  /** The language the person reads (the patient's own, or the one their first message was in). */
  locale: string;
  /** A text of the catalog, in the person's language. */
  say(key: string, vars?: Record<string, unknown>): string;
  /** Whether `text` alone is one of the person's language's words for a keyword ('otras' for more). */
  says(keyword: keyof LocaleWords['keywords'], text: string): boolean;
  /** Appointments this turn's replies confirm to the patient ("Booked: ..."); the channel marks them told once delivered. */
  told: string[];
  /** Reads any text as a message (a registration's first request, replayed after consent). */
  understand(text: string, opts?: { prefer?: 'future' | 'nearest' }): Promise<Understood>;
  /** A message to carry out once this turn's step is done (the request a new patient first sent). */
  resume?: string | null;
  /** What the message was read as (for the metrics). */
  intent?: string | null;
}

export interface StepSpec<F extends FlowName> {
  /** The question. May instead return what happens next (a value the person already gave). */
  ask(t: Turn, data: DataOf<F>): Promise<Reply[] | Next<F>>;
  answer(t: Turn, data: DataOf<F>, u: Understood): Promise<Next<F>>;
  /** Help for this step, for HELP: a catalog key, or a text (staff flows are English). */
  help?: string;
  /**
   * A question that may go unanswered (the reason for a visit): a message that does not answer it
   * leaves the flow and is read as if no question were open, never as 'not understood'.
   */
  optional?: boolean;
}

export interface Flow<F extends FlowName> {
  name: F;
  /** Who may be in it: a state left from another role is discarded. */
  role: 'patient' | 'doctor' | 'stranger';
  first: StepOf<F>;
  steps: { [S in StepOf<F>]: StepSpec<F> };
  /** Days are looked up (a schedule) rather than booked: 'last friday' is last Friday. */
  prefer?: 'future' | 'nearest';
  /** Run when the person leaves the flow with MENU or EXIT: what it holds goes back (a held time). */
  leave?: (t: Turn, data: DataOf<F>) => Promise<void>;
}

export function isNext<F extends FlowName>(x: Reply[] | Next<F>): x is Next<F> {
  return !Array.isArray(x);
}

/** Numbered choices from a list: '1', '2', ... */
export function numbered<T>(items: T[], label: (item: T) => string): Reply['choices'] {
  return items.map((item, i) => ({ label: label(item), value: String(i + 1) }));
}

/** The item an answer picks by its number, or null. */
export function pick<T>(items: T[] | undefined, u: Understood): T | null {
  if (!items || u.choice === null) return null;
  return items[u.choice - 1] ?? null;
}

export const YES_NO_CHOICES = [
  { label: 'Yes', value: 'YES' },
  { label: 'No', value: 'NO' },
];

/** Yes and No buttons, labelled in the person's language (the values stay YES and NO). */
export function yesNoChoices(t: Pick<Turn, 'say'>): Reply['choices'] {
  return [
    { label: t.say('common.yes'), value: 'YES' },
    { label: t.say('common.no'), value: 'NO' },
  ];
}
