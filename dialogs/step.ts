import type { Actor } from '../src/domain/actor';
import type { Clock } from '../src/domain/clock';
import type { Logger } from '../src/logging';
import type { Services } from '../src/services';
import type { ConversationStore } from './conversation-store';
import type { ConversationState, InboundMessage, Reply } from './types';

/** What every dialog step is given. */
export interface DialogDeps {
  services: Services;
  store: ConversationStore;
  now: Clock;
  clinicName: string;
  /** The clinic's zone: new patients start in it. */
  clinicTimezone: string;
  logger?: Logger;
  /** The /clinic admin grammar; admin chat text goes through it. */
  adminCommands?: (actor: Actor, text: string) => Promise<Reply[]>;
  /** An idle conversation starts over after this long (default 30 minutes). */
  idleMs?: number;
  /** Whether a new number may start registering now (the clinic's registration throttle). */
  registrations?: { admit(phone: string): Promise<'ok' | 'block-full' | 'clinic-full'> };
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
  /** Appointments this turn's replies confirm to the patient ("Booked: ..."); the channel marks them told once delivered. */
  told: string[];
}

/**
 * Where a step sends the conversation:
 * - next: another step (the current one is remembered for BACK unless `replace`), with data merged in;
 * - done: the flow is over, back to the menu;
 * - retry: the answer did not fit; say why and ask again.
 */
export type Outcome =
  | { next: string; data?: Record<string, unknown>; say?: Reply[]; replace?: boolean }
  | { done: Reply[] }
  | { retry: string };

export interface Step {
  /** The question. May instead return an Outcome to skip ahead (a value the user already gave). */
  ask(t: Turn): Promise<Reply[] | Outcome>;
  answer(t: Turn, input: string): Promise<Outcome>;
  /** Help for this step, for HELP. */
  help?: string;
}

export type Steps = Record<string, Step>;

export function isOutcome(x: Reply[] | Outcome): x is Outcome {
  return !Array.isArray(x);
}

/** Numbered choices from a list: '1', '2', ... */
export function numbered<T>(items: T[], label: (item: T) => string): Reply['choices'] {
  return items.map((item, i) => ({ label: label(item), value: String(i + 1) }));
}

/** The item a numeric answer picks, or null. */
export function pick<T>(items: T[] | undefined, input: string): T | null {
  if (!items || !/^\d{1,2}$/.test(input.trim())) return null;
  return items[Number(input.trim()) - 1] ?? null;
}

export function yes(input: string): boolean {
  return /^(y|yes|yep|yeah|ok|okay|sure|confirm|correct|1)$/i.test(input.trim());
}

export function no(input: string): boolean {
  return /^(n|no|nope|nah|2)$/i.test(input.trim());
}
