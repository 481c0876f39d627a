import type { Actor } from '../src/domain/actor';
import { DomainError, ServiceUnavailableError } from '../src/domain/errors';
import { createAdminCommands } from './admin/commands';
import { firstName } from '../src/domain/patient';
import { hoursFlow } from './doctor/hours';
import { DOCTOR_HELP, doctorMenu, doctorMenuChoice } from './doctor/menu';
import { scheduleFlow } from './doctor/schedule';
import { timeOffFlow } from './doctor/time-off';
import { doctorSeriesFlow } from './doctor/series';
import { waitlistFlow, waitlistOfferFlow } from './patient/waitlist';
import { isNext, type DialogDeps, type Flow, type FlowName, type FlowStart, type Next, type StepSpec, type Turn } from './flow';
import { appointmentsFlow } from './patient/appointments';
import { bookingFlow } from './patient/booking';
import { patientMenu, patientMenuChoice } from './patient/menu';
import { profileFlow } from './patient/profile';
import { registrationFlow } from './patient/registration';
import { reminderFlow } from './patient/reminder-reply';
import { verificationFlow } from './patient/verification';
import { isRequest, routeDoctor, routePatient, type Routed } from './routing';
import { cleanInput } from './support/clean-input';
import { errorText } from './support/error-replies';
import { understand as read, type Understood } from './understanding';
import type { Directory } from './understanding/lexicon';
import type { ConversationState, FlowPosition, InboundMessage, Reply, TurnResult } from './types';
import { catalog as shippedCatalog, DEFAULT_LOCALE, type Catalog } from '../src/i18n/catalog';
import { detectLanguage, languageRequest, saysKeyword } from '../src/i18n/language';

/**
 * The channel-neutral dialog engine: one neutral message in, replies out. It finds who is
 * speaking, restores their conversation from Redis, handles HELP, MENU, BACK and EXIT once for
 * every flow (as core-bot's base dialog does), reads the message for all it says, hands it to the
 * step waiting for an answer, and reads what a step cannot use as a new request. Any error becomes
 * a polite reply. Roles are enforced again by the services it calls: a dialog is not a security
 * boundary.
 */
export interface DialogEngine {
  handle(msg: InboundMessage): Promise<TurnResult>;
}

const IDLE_MS = 30 * 60_000;
const MAX_BACK = 10;
const DIRECTORY_MS = 60_000;

const GLOBAL = {
  help: /^(help|\?|info|what can you do)$/i,
  menu: /^(menu|main menu|home|start over|restart)$/i,
  back: /^(back|go back|previous)$/i,
  exit: /^(exit|nevermind|never mind|forget it|abandon|stop that|quit this)$/i,
};
type GlobalWord = keyof typeof GLOBAL;


export const PRIVATE_ONLY = 'To keep patient details private I only answer in a direct message. Please message me directly.';

const FLOWS: { [F in FlowName]: Flow<F> } = {
  registration: registrationFlow,
  booking: bookingFlow,
  appointments: appointmentsFlow,
  profile: profileFlow,
  verification: verificationFlow,
  reminder: reminderFlow,
  schedule: scheduleFlow,
  hours: hoursFlow,
  timeoff: timeOffFlow,
  doctorSeries: doctorSeriesFlow,
  waitlist: waitlistFlow,
  waitlistOffer: waitlistOfferFlow,
};

export function freshState(now: number): ConversationState {
  return { v: 2, at: null, back: [], verified: false, lastActivity: now, seq: 0 };
}

function isPhone(senderId: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(senderId);
}

function roleOf(actor: Actor | null): 'patient' | 'doctor' | 'admin' | 'stranger' {
  return actor ? actor.role : 'stranger';
}

function flowOf(at: FlowPosition): Flow<FlowName> | null {
  return (FLOWS as Record<string, Flow<FlowName>>)[at.flow] ?? null;
}

function stepOf(at: FlowPosition): StepSpec<FlowName> | null {
  const flow = flowOf(at);
  return flow ? ((flow.steps as Record<string, StepSpec<FlowName>>)[at.step] ?? null) : null;
}

/** Words for a message nothing could read: a date that is no date ('Feb 30') is told so. */
function notUnderstood(t: Turn, text: string): string {
  const dateLike = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*\d|\b\d{1,2}\s*[/.-]\s*\d{1,2}\b|\b\d{1,2}(st|nd|rd|th)\b/i;
  return t.say(dateLike.test(text) ? 'engine.notADate' : 'engine.notUnderstood');
}

export function createDialogEngine(given: DialogDeps): DialogEngine {
  let cachedDirectory: { at: number; value: Promise<Directory> } | null = null;
  const directory = (): Promise<Directory> => {
    const now = Date.now();
    if (!cachedDirectory || now - cachedDirectory.at > DIRECTORY_MS) {
      const value = given.services.doctors.directory();
      value.catch(() => (cachedDirectory = null));
      cachedDirectory = { at: now, value };
    }
    return cachedDirectory.value;
  };
  // Admins' chat text is the /clinic grammar, on every channel.
  const deps: DialogDeps = {
    ...given,
    adminCommands: given.adminCommands ?? createAdminCommands(given.services),
    directory: given.directory ?? directory,
    catalog: given.catalog ?? shippedCatalog(),
  };
  const texts = deps.catalog!;
  const idleMs = deps.idleMs ?? IDLE_MS;

  async function resolveActor(msg: InboundMessage): Promise<Actor | null> {
    const { identity } = deps.services;
    if (msg.channel === 'sms') return identity.actorFor('sms', msg.senderId);
    if (msg.channel === 'console') {
      // The console speaks as a phone (a patient, as if by SMS) or as a staff email.
      return isPhone(msg.senderId)
        ? identity.actorFor('sms', msg.senderId).then((a) => a && { ...a, channel: 'console' })
        : identity.actorForEmail(msg.senderId, 'console');
    }
    return identity.actorFor(msg.channel, msg.senderId);
  }

  function menuOf(t: Turn, lead?: string): Reply[] {
    return t.actor?.role === 'doctor' ? doctorMenu(lead) : patientMenu(t, lead);
  }

  function helpOf(t: Turn): string {
    if (!t.actor) return t.say('help.stranger');
    return t.actor.role === 'doctor' ? DOCTOR_HELP : t.say('help.patient');
  }

  /** "ESPAÑOL", "ENGLISH", "idioma": the conversation (and a patient's record) changes language. */
  async function language(t: Turn, input: string): Promise<Reply[] | null> {
    if (t.actor && t.actor.role !== 'patient') return null;
    const asked = languageRequest(input, texts);
    if (!asked) return null;
    if ('ask' in asked) {
      const options = texts.locales.map((l) => texts.words(l).name.toUpperCase()).join(' / ');
      return [{ text: t.say('language.ask', { options }) }];
    }
    t.locale = asked.switchTo;
    t.state.locale = asked.switchTo;
    if (t.actor?.patientId) {
      await deps.services.patients.updateProfile(t.actor, t.actor.patientId, { locale: asked.switchTo });
      t.actor = { ...t.actor, locale: asked.switchTo };
    }
    return [{ text: t.say('language.switched') }, ...(t.state.at ? await ask(t) : t.actor ? menuOf(t) : [])];
  }

  async function route(t: Turn, u: Understood): Promise<Routed> {
    if (t.actor?.role === 'doctor') return routeDoctor(t, u);
    if (t.actor?.role === 'patient') return routePatient(t, u);
    return null;
  }

  /** The question of the step the conversation is at (a step may move on by itself). */
  async function ask(t: Turn, hops = 0): Promise<Reply[]> {
    const at = t.state.at;
    if (!at) return menuOf(t);
    const step = stepOf(at);
    if (!step) {
      t.state.at = null;
      return menuOf(t);
    }
    const asked = await step.ask(t, at.data as never);
    if (!isNext(asked)) return asked;
    return apply(t, asked, hops + 1);
  }

  async function start(t: Turn, s: FlowStart, say: Reply[] = [], replace = false, hops = 0): Promise<Reply[]> {
    if (t.state.at && !replace) t.state.back = [...t.state.back, t.state.at].slice(-MAX_BACK);
    t.state.at = { flow: s.flow, step: s.step ?? FLOWS[s.flow].first, data: s.data };
    return [...say, ...(await ask(t, hops))];
  }

  async function apply(t: Turn, next: Next<FlowName>, hops = 0): Promise<Reply[]> {
    if (hops > 8) throw new Error(`dialog loop at ${t.state.at?.flow}.${t.state.at?.step}`);
    const at = t.state.at!;
    if ('retry' in next) {
      if (next.alone) return [{ text: next.retry }];
      const again = await ask(t, hops);
      return [{ text: next.retry }, ...again];
    }
    if ('done' in next) {
      t.state.at = null;
      t.state.back = [];
      t.state.keepUntil = undefined;
      return next.done;
    }
    if ('stay' in next) {
      t.state.at = { ...at, data: { ...(at.data as object), ...next.data } };
      return next.stay;
    }
    if ('start' in next) return start(t, next.start, next.say ?? [], next.replace, hops + 1);
    if ('unhandled' in next) return [];
    if (!next.replace) t.state.back = [...t.state.back, at].slice(-MAX_BACK);
    t.state.at = { flow: at.flow, step: next.to, data: { ...(at.data as object), ...(next.data ?? {}) } };
    return [...(next.say ?? []), ...(await ask(t, hops + 1))];
  }

  /** A message that is not an answer to anything waiting: a new request, or a word of its own. */
  async function newRequest(t: Turn, u: Understood, fallback: () => Promise<Reply[]>): Promise<Reply[]> {
    const routed = await route(t, u);
    if (routed === null) return fallback();
    if (Array.isArray(routed)) return routed;
    return start(t, routed, [], false);
  }

  async function turn(t: Turn, input: string): Promise<Reply[]> {
    const { actor, msg, state } = t;
    // The adapters already keep staff out of shared conversations; this is the second lock.
    if (msg.conversation !== 'direct') return [{ text: PRIVATE_ONLY }];

    if (!actor) {
      if (!isPhone(msg.senderId)) {
        return [{ text: "Hello! I don't know your account yet. Please ask a clinic admin to link it, then message me again." }];
      }
      if (state.at?.flow !== 'registration') {
        // The first message says which language to answer in ("hola", "quiero una cita"), even a refusal.
        const switched = languageRequest(input, texts);
        const detected = switched && 'switchTo' in switched ? switched.switchTo : detectLanguage(input, texts);
        if (detected) t.locale = detected;
        const admitted = deps.registrations ? await deps.registrations.admit(msg.senderId) : 'ok';
        if (admitted !== 'ok') {
          deps.logger?.warn({ channel: msg.channel, throttle: admitted }, 'registration refused by the throttle');
          return [{ text: t.say('engine.registrationsClosed') }];
        }
        Object.assign(state, freshState(deps.now()));
        if (detected) state.locale = detected;
        if (switched) input = '';
        // A first message that asks for something is kept, and carried out once they are registered.
        const first = input ? await t.understand(input) : null;
        return start(t, { flow: 'registration', data: { pending: first && isRequest(first) ? input : null } });
      }
    }

    if (actor?.role === 'admin') {
      // Admins type the /clinic grammar; a greeting gets a pointer to it, not a page of commands.
      if (/^(hi|hello|hey|good (morning|afternoon|evening)|menu|start)\b[\s!.]*$/i.test(input)) {
        return [{ text: `Hi${actor.name ? ` ${firstName(actor.name)}` : ''}! Type a clinic command, for example 'doctors list', 'settings show' or 'help'.` }];
      }
      const text = input.replace(/^\/?clinic\s*/i, '');
      return deps.adminCommands!(actor, text || 'help');
    }

    const switched = await language(t, input);
    if (switched) return switched;
    const at = state.at;
    const step = at ? stepOf(at) : null;
    // HELP, MENU, BACK, EXIT in English, or in the words of the conversation's language (AYUDA, VOLVER).
    const said = (word: GlobalWord) => GLOBAL[word].test(input) || t.says(word, input);
    if (said('help')) return [{ text: step?.help ? t.say(step.help) : helpOf(t) }, ...(at ? await ask(t) : [])];
    if (actor && (said('menu') || (said('exit') && at))) {
      const leaving = said('exit');
      if (at) await flowOf(at)?.leave?.(t, at.data as never)?.catch(() => undefined);
      state.at = null;
      state.back = [];
      return leaving ? [{ text: t.say('engine.stopped') }, ...menuOf(t)] : menuOf(t);
    }
    if (said('back')) {
      const previous = state.back.pop();
      if (!previous) return [{ text: t.say('engine.nothingBack') }, ...(await ask(t))];
      state.at = previous;
      return ask(t);
    }
    if (!input) return at ? [{ text: t.say('engine.empty') }, ...(await ask(t))] : menuOf(t);

    const u = await t.understand(input, { prefer: at ? flowOf(at)?.prefer : t.actor?.role === 'doctor' ? 'nearest' : undefined });
    t.intent = u.yesNo ?? (u.choice !== null ? 'choice' : u.intent);
    let replies: Reply[];
    const outsideAnyFlow = async (): Promise<Reply[]> => {
      const choice = u.choice !== null && u.text.trim().split(/\s+/).length <= 3 ? (actor?.role === 'doctor' ? doctorMenuChoice(u.choice, deps.now(), t.zone) : patientMenuChoice(u.choice)) : null;
      return choice ? start(t, choice) : newRequest(t, u, async () => menuOf(t, t.say('menu.notUnderstood')));
    };
    if (at && step) {
      const next = await step.answer(t, at.data as never, u);
      if ('unhandled' in next && step.optional) {
        // A question they need not answer: the message is read as if it were not open.
        state.at = null;
        state.back = [];
        replies = await outsideAnyFlow();
      } else if ('unhandled' in next) {
        // Not an answer to the question: a new request ('actually, cancel my 3pm'), or nothing known.
        replies = await newRequest(t, u, async () => [{ text: notUnderstood(t, u.text) }, ...(await ask(t))]);
      } else {
        replies = await apply(t, next);
      }
    } else {
      replies = await outsideAnyFlow();
    }
    // What a new patient first asked for, carried out now that they are registered.
    if (t.resume && t.actor) {
      const pending = t.resume;
      t.resume = null;
      t.firstName = t.actor.name?.split(' ')[0] ?? null;
      const again = await t.understand(pending);
      replies = [...replies, ...(await newRequest(t, again, async () => menuOf(t)))];
    }
    return replies;
  }

  return {
    async handle(msg) {
      try {
        return await deps.store.oneTurnAtATime(msg.channel, msg.senderId, (load) => handleTurn(msg, load));
      } catch (err) {
        // The lock itself failed (Redis is down): the same polite answer as any other failure.
        return { replies: [{ text: errorText(err instanceof DomainError ? err : new ServiceUnavailableError('redis', { cause: err })) }], actor: null, seq: 0 };
      }
    },
  };

  async function handleTurn(msg: InboundMessage, load: () => Promise<ConversationState | null>): Promise<TurnResult> {
    const input = cleanInput(msg.value ?? msg.text);
    const now = deps.now();
    let actor: Actor | null = null;
    let state: ConversationState | null = null;
    let spoken = DEFAULT_LOCALE;
    const preface: Reply[] = [];
    try {
      actor = msg.actor !== undefined ? msg.actor : await resolveActor(msg);
      state = await load();
      let idleLocale: string | undefined;
      if (state && now - state.lastActivity > idleMs && (state.at !== null || state.back.length > 0) && !(state.keepUntil && now < state.keepUntil)) {
        idleLocale = state.locale;
        preface.push({ text: 'engine.welcomeBack' });
        state = null;
      }
      // A state another role left (a patient who became staff), or of a flow that no longer exists.
      if (state?.at && (!flowOf(state.at) || !stepOf(state.at) || flowOf(state.at)!.role !== roleOf(actor))) state = null;
      state ??= { ...freshState(now), ...(idleLocale ? { locale: idleLocale } : {}) };
      // A patient reads their own language; anyone else the one their conversation is in.
      const locale = [actor?.locale, state.locale].find((l) => texts.has(l)) ?? DEFAULT_LOCALE;
      spoken = locale;
      for (const p of preface) p.text = texts.t(locale, p.text);
      // The identity service gives the zone and name with the actor: no further look-up per message.
      const zone = actor?.timeZone ?? deps.clinicTimezone;
      const firstName = actor?.role === 'patient' && actor.name ? actor.name.split(' ')[0] : null;
      state.seq ??= 0;
      const t: Turn = {
        deps,
        actor,
        msg,
        state,
        zone,
        firstName,
        locale,
        say: (key, vars) => texts.t(t.locale, key, { clinicPhone: deps.clinicPhone ?? null, ...vars }),
        says: (keyword, text) => saysKeyword(texts, t.locale, keyword, text),
        told: [],
        understand: async (text, opts = {}) =>
          read(text, { role: t.actor?.role === 'doctor' ? 'doctor' : 'patient', zone: t.zone, now: deps.now(), prefer: opts.prefer, directory: await deps.directory!(), locale: t.locale }),
      };
      let replies: Reply[];
      if (msg.buttonSeq !== undefined && msg.buttonSeq !== state.seq) {
        // A button from an earlier message, or a replayed one: it must not pick from today's list.
        await deps.services.audit.record(actor, { action: 'dialog.stale_button', outcome: 'denied', details: { channel: msg.channel } }).catch(() => undefined);
        replies = [{ text: t.say('engine.staleButton') }, ...(await ask(t))];
      } else {
        replies = await turn(t, input);
      }
      state.lastActivity = now;
      state.seq += 1;
      // A name and date of birth given before consent are kept no longer than the conversation's
      // idle time: unconsented data leaves Redis by itself when the person walks away.
      const unconsented = !t.actor && state.at?.flow === 'registration';
      try {
        await deps.store.save(msg.channel, msg.senderId, state, unconsented ? Math.ceil(idleMs / 1000) : undefined);
      } catch (err) {
        // What the turn did is done (a booking committed, say): the person hears it. The next
        // message starts from the last saved place, and the steps there read what really happened.
        deps.logger?.warn({ err, channel: msg.channel, at: state.at?.flow }, 'conversation not saved');
      }
      return { replies: [...preface, ...replies], actor: t.actor, seq: state.seq, told: t.told, locale: t.locale, intent: t.actor?.role === 'admin' ? 'admin-command' : (t.intent ?? null) };
    } catch (err) {
      if (!(err instanceof DomainError)) {
        deps.logger?.error({ err, channel: msg.channel, at: state?.at?.flow }, 'dialog turn failed');
      }
      // The conversation keeps its place: the person can simply try again.
      return { replies: [...preface, { text: errorText(err, (key, vars) => texts.t(spoken, key, vars), spoken) }], actor, seq: state?.seq ?? 0, locale: spoken };
    }
  }
}
