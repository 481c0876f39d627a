import type { Actor } from '../src/domain/actor';
import { DomainError, ServiceUnavailableError } from '../src/domain/errors';
import { adminSteps } from './admin/admin-steps';
import { createAdminCommands } from './admin/commands';
import { doctorSteps } from './doctor/doctor-steps';
import { patientSteps } from './patient/patient-steps';
import { registrationSteps } from './patient/registration-steps';
import { reminderSteps } from './patient/reminder-reply';
import { cleanInput } from './support/clean-input';
import { errorText } from './support/error-replies';
import { isOutcome, type DialogDeps, type Outcome, type Steps, type Turn } from './step';
import type { ConversationState, InboundMessage, Reply, TurnResult } from './types';

/**
 * The channel-neutral dialog engine: one neutral message in, replies out. It finds who is
 * speaking, restores their conversation from Redis, runs global words (HELP, MENU, BACK, EXIT)
 * before any step, hands the rest to the current step, and turns any error into a polite reply.
 * Roles are enforced again by the services it calls: a dialog is not a security boundary.
 */
export interface DialogEngine {
  handle(msg: InboundMessage): Promise<TurnResult>;
}

const IDLE_MS = 30 * 60_000;
const MAX_BACK = 10;

const MENU_OF: Record<string, string> = { patient: 'patient.menu', doctor: 'doctor.menu', admin: 'admin.menu' };
/** Which role may be at which flow: a state left from another role is discarded. */
const FLOW_ROLE: Record<string, string> = {
  register: 'none',
  patient: 'patient',
  book: 'patient',
  appts: 'patient',
  verify: 'patient',
  profile: 'patient',
  reminder: 'patient',
  doctor: 'doctor',
  admin: 'admin',
};

const GLOBAL = {
  help: /^(help|\?|info)$/i,
  menu: /^(menu|main menu|home|hi|hello|hey|start over)$/i,
  back: /^(back|go back|previous)$/i,
  exit: /^(exit|nevermind|never mind|abandon|quit this)$/i,
};

export const PRIVATE_ONLY = 'To keep patient details private I only answer in a direct message. Please message me directly.';

export function freshState(now: number): ConversationState {
  return { v: 1, at: null, data: {}, back: [], verified: false, lastActivity: now, seq: 0 };
}

function isPhone(senderId: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(senderId);
}

export function createDialogEngine(given: DialogDeps): DialogEngine {
  // Admins' chat text is the /clinic grammar, on every channel.
  const deps: DialogDeps = { ...given, adminCommands: given.adminCommands ?? createAdminCommands(given.services) };
  const steps: Steps = { ...registrationSteps, ...patientSteps, ...reminderSteps, ...doctorSteps, ...adminSteps };
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

  async function ask(t: Turn, hops = 0): Promise<Reply[]> {
    const at = t.state.at;
    const step = at ? steps[at] : null;
    if (!step) return ask({ ...t, state: Object.assign(t.state, { at: menuFor(t.actor) }) }, hops + 1);
    const asked = await step.ask(t);
    if (!isOutcome(asked)) return asked;
    if (hops > 6) throw new Error(`dialog loop at ${at}`);
    return apply(t, asked, hops + 1);
  }

  async function apply(t: Turn, outcome: Outcome, hops = 0): Promise<Reply[]> {
    if ('retry' in outcome) return [{ text: outcome.retry }, ...(await ask(t, hops))];
    if ('done' in outcome) {
      t.state.at = null;
      t.state.data = {};
      t.state.back = [];
      t.state.keepUntil = undefined;
      return outcome.done;
    }
    if (!outcome.replace) t.state.back = [...t.state.back, { at: t.state.at, data: t.state.data }].slice(-MAX_BACK);
    t.state.at = outcome.next;
    t.state.data = { ...t.state.data, ...(outcome.data ?? {}) };
    return [...(outcome.say ?? []), ...(await ask(t, hops))];
  }

  function menuFor(actor: Actor | null): string {
    return actor ? MENU_OF[actor.role] : 'register.name';
  }

  function allowedAt(actor: Actor | null, at: string | null): boolean {
    if (at === null) return true;
    const role = FLOW_ROLE[at.split('.')[0]];
    return role === (actor ? actor.role : 'none') && at in steps;
  }

  async function turn(t: Turn, input: string): Promise<Reply[]> {
    const { actor, msg, state } = t;
    // The adapters already keep staff out of shared conversations; this is the second lock.
    if (msg.conversation !== 'direct') return [{ text: PRIVATE_ONLY }];

    if (!actor) {
      if (!isPhone(msg.senderId)) {
        return [{ text: "Hello! I don't know your account yet. Please ask a clinic admin to link it, then message me again." }];
      }
      if (!state.at?.startsWith('register.')) {
        const admitted = deps.registrations ? await deps.registrations.admit(msg.senderId) : 'ok';
        if (admitted !== 'ok') {
          deps.logger?.warn({ channel: msg.channel, throttle: admitted }, 'registration refused by the throttle');
          return [{ text: "Sorry, we can't sign up new numbers by text right now. Please call the clinic, or try again later." }];
        }
        Object.assign(state, freshState(deps.now()));
        state.at = 'register.name';
        return ask(t);
      }
    }

    const current = state.at ? steps[state.at] : null;
    // An admin's 'help' is the /clinic command list, not the chat help.
    const adminAtMenu = actor?.role === 'admin' && (state.at === null || state.at === 'admin.menu');
    if (GLOBAL.help.test(input) && !adminAtMenu) {
      const help = current?.help ?? helpFor(actor);
      return [{ text: help }, ...(state.at && current ? await ask(t) : [])];
    }
    if (GLOBAL.menu.test(input) || (GLOBAL.exit.test(input) && state.at)) {
      const leaving = GLOBAL.exit.test(input) && state.at;
      state.at = actor ? null : 'register.name';
      state.data = {};
      state.back = [];
      const menu = await ask(t);
      return leaving ? [{ text: 'OK, I stopped that.' }, ...menu] : menu;
    }
    if (GLOBAL.back.test(input)) {
      const previous = state.back.pop();
      if (!previous) return [{ text: "There's nothing to go back to." }, ...(await ask(t))];
      state.at = previous.at;
      state.data = previous.data;
      return ask(t);
    }

    if (state.at === null) {
      const menu = steps[menuFor(actor)];
      if (!input) return ask(t);
      return apply(t, await menu.answer(t, input));
    }
    if (!input) return [{ text: 'I got an empty message.' }, ...(await ask(t))];
    return apply(t, await current!.answer(t, input));
  }

  function helpFor(actor: Actor | null): string {
    if (!actor) return 'I can book and manage appointments by text once you are registered. Reply MENU to start again.';
    if (actor.role === 'patient') {
      return 'Reply MENU for the main menu, BACK to go back a step, or EXIT to stop what you are doing. For anything urgent, call the clinic.';
    }
    return 'Say MENU for the menu, BACK to go back, EXIT to stop what you are doing.';
  }

  return {
    async handle(msg) {
      try {
        return await deps.store.oneTurnAtATime(msg.channel, msg.senderId, () => handleTurn(msg));
      } catch (err) {
        // The lock itself failed (Redis is down): the same polite answer as any other failure.
        return { replies: [{ text: errorText(err instanceof DomainError ? err : new ServiceUnavailableError('redis', { cause: err })) }], actor: null, seq: 0 };
      }
    },
  };

  async function handleTurn(msg: InboundMessage): Promise<TurnResult> {
    const input = cleanInput(msg.value ?? msg.text);
    const now = deps.now();
    let actor: Actor | null = null;
    let state: ConversationState | null = null;
    const preface: Reply[] = [];
    try {
      actor = msg.actor ?? (await resolveActor(msg));
      state = await deps.store.load(msg.channel, msg.senderId);
      if (state && now - state.lastActivity > idleMs && (state.at !== null || state.back.length > 0) && !(state.keepUntil && now < state.keepUntil)) {
        preface.push({ text: "Welcome back! It's been a while, so let's start fresh." });
        state = null;
      }
      if (state && !allowedAt(actor, state.at)) state = null;
      state ??= freshState(now);
      // The identity service gives the zone and name with the actor: no further look-up per message.
      const zone = actor?.timeZone ?? deps.clinicTimezone;
      const firstName = actor?.role === 'patient' && actor.name ? actor.name.split(' ')[0] : null;
      state.seq ??= 0;
      const t: Turn = { deps, actor, msg, state, zone, firstName, told: [] };
      let replies: Reply[];
      if (msg.buttonSeq !== undefined && msg.buttonSeq !== state.seq) {
        // A button from an earlier message, or a replayed one: it must not pick from today's list.
        await deps.services.audit
          .record(actor, { action: 'dialog.stale_button', outcome: 'denied', details: { channel: msg.channel } })
          .catch(() => undefined);
        replies = [{ text: "That button is from an earlier message. Here's where we are now:" }, ...(await ask(t))];
      } else {
        replies = await turn(t, input);
      }
      state.lastActivity = now;
      state.seq += 1;
      // A name and date of birth given before consent are kept no longer than the conversation's
      // idle time: unconsented data leaves Redis by itself when the person walks away.
      const unconsented = !actor && state.at?.startsWith('register.');
      try {
        await deps.store.save(msg.channel, msg.senderId, state, unconsented ? Math.ceil(idleMs / 1000) : undefined);
      } catch (err) {
        // What the turn did is done (a booking committed, say): the person hears it. The next
        // message starts from the last saved place, and the steps there read what really happened.
        deps.logger?.warn({ err, channel: msg.channel, at: state.at }, 'conversation not saved');
      }
      return { replies: [...preface, ...replies], actor, seq: state.seq, told: t.told };
    } catch (err) {
      if (!(err instanceof DomainError)) {
        deps.logger?.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, channel: msg.channel, at: state?.at }, 'dialog turn failed');
      }
      // The conversation keeps its place: the person can simply try again.
      return { replies: [...preface, { text: errorText(err) }], actor, seq: state?.seq ?? 0 };
    }
  }
}
