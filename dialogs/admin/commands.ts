import { DateTime } from 'luxon';
import type { Actor } from '../../src/domain/actor';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../../src/domain/errors';
import { isIsoDate } from '../../src/domain/time';
import { utilizationChart } from '../../src/reports/chart';
import { reportCsv, reportText } from '../../src/reports/render';
import type { Services } from '../../src/services';
import type { DoctorView } from '../../src/services/doctors';
import { cleanInput } from '../support/clean-input';
import { errorText } from '../support/error-replies';
import { formatSlot } from '../support/format';
import type { Reply } from '../types';
import { withLanguage } from '../../src/i18n/staff';
import type { Location, VisitType } from '../../src/domain/visits';
import { describeWeeklyHours, readWeeklyHours } from '../support/hours';

/**
 * The /clinic grammar: the same words as a Slack slash-command, typed in Teams, or in the console.
 * Every command goes through services that check the admin role and audit; this module only parses
 * words and writes replies. A command it cannot parse answers with that command's usage line.
 */

export const USAGE: Record<string, string> = {
  help: '/clinic help',
  'doctors list': '/clinic doctors list [all]',
  'doctors add': '/clinic doctors add "<name>" zone=<IANA zone> [slot=<minutes>] [specialties="A, B"] [email=<email>]',
  'doctors edit': '/clinic doctors edit "<doctor>" [name="<name>"] [zone=<IANA zone>] [slot=<minutes>] [email=<email>]',
  'doctors deactivate': '/clinic doctors deactivate "<doctor>" [cancel]',
  'doctors activate': '/clinic doctors activate "<doctor>"',
  'doctors grid': '/clinic doctors grid "<doctor>" <minutes>|off',
  'locations list': '/clinic locations list',
  'locations add': '/clinic locations add "<name>" zone=<IANA zone> [address="<street, town>"] [phone=<phone>]',
  'locations edit': '/clinic locations edit "<location>" [name="<name>"] [address="<street, town>"] [phone=<phone>] [zone=<IANA zone>]',
  'visit-types list': '/clinic visit-types list',
  'visit-types add': '/clinic visit-types add "<name>" minutes=<length> [before=<minutes>] [after=<minutes>] [keywords="first visit, new patient"] [video=https://...]',
  'visit-types edit': '/clinic visit-types edit "<visit type>" [name="<name>"] [minutes=<length>] [before=<minutes>] [after=<minutes>] [keywords="a, b"] [video=https://...|off]',
  'visit-types intake': '/clinic visit-types intake "<visit type>" questions="<question> | <question>"',
  'visit-types offer': '/clinic visit-types offer "<doctor>" "<visit type>, <visit type>" [default="<visit type>"]',
  'hours show': '/clinic hours show "<doctor>"',
  'hours set': '/clinic hours set "<doctor>" "<hours like Mon-Fri 9-17>" [at="<location>"]',
  'timeoff add': '/clinic timeoff add "<doctor>" <from YYYY-MM-DD[THH:mm]> <to YYYY-MM-DD[THH:mm]> [reason="..."]',
  'timeoff list': '/clinic timeoff list "<doctor>"',
  'timeoff remove': '/clinic timeoff remove "<doctor>" <ref>',
  'specialties list': '/clinic specialties list',
  'specialties add': '/clinic specialties add "<name>" [keywords="a, b"]',
  'specialties rename': '/clinic specialties rename "<old name>" "<new name>"',
  'specialties keywords': '/clinic specialties keywords "<name>" [add="knee, back pain"] [remove="back"]',
  'specialties assign': '/clinic specialties assign "<doctor>" "<specialty>"',
  'specialties unassign': '/clinic specialties unassign "<doctor>" "<specialty>"',
  'fhir-clients list': '/clinic fhir-clients list',
  'fhir-clients add': '/clinic fhir-clients add "<name>" scopes="system/Slot.read system/Practitioner.read" [jwks=https://<its public keys>]',
  'fhir-clients revoke': '/clinic fhir-clients revoke <client id>',
  'users list': '/clinic users list [doctor|admin]',
  'users link': '/clinic users link slack|teams <platform user id> <email>',
  'users code': '/clinic users code <email>',
  'users role': '/clinic users role <email> doctor|admin',
  'users deactivate': '/clinic users deactivate <email>',
  'users reactivate': '/clinic users reactivate <email>',
  'patients find': '/clinic patients find <phone>',
  'patients unlock': '/clinic patients unlock <phone>',
  'settings show': '/clinic settings show',
  'settings set': '/clinic settings set <key> <value>',
  'settings history': '/clinic settings history [key]',
  report: '/clinic report <from YYYY-MM-DD> <to YYYY-MM-DD> [csv] [chart]',
  appointments: '/clinic appointments "<doctor>" <YYYY-MM-DD>',
  book: '/clinic book <patient phone> "<doctor>" <YYYY-MM-DD> <HH:mm> [type="<visit type>"] [at="<location>"] [reason="..."]',
  series: '/clinic series <patient phone> "<doctor>" <first YYYY-MM-DD> <HH:mm> count=<visits> [every=<weeks>] [type="<visit type>"] [rest]',
  cancel: '/clinic cancel <appointment ref> [rest]',
  move: '/clinic move <appointment ref> <YYYY-MM-DD> <HH:mm>',
  mark: '/clinic mark <appointment ref> completed|no-show',
  audit: '/clinic audit [count] [patient=<phone>] [user=<email>] [action=<action>] [from=YYYY-MM-DD] [to=YYYY-MM-DD]',
};

class UsageError extends Error {
  constructor(readonly command: string, readonly why?: string) {
    super(why ?? 'usage');
  }
}

/** Words, "quoted phrases" and key=value (or key="quoted value") pairs. */
export function tokenize(text: string): { words: string[]; options: Record<string, string> } {
  const words: string[] = [];
  const options: Record<string, string> = {};
  const re = /([A-Za-z]+)=(?:"([^"]*)"|'([^']*)'|(\S+))|"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) {
    if (m[1]) options[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? '';
    else words.push(m[5] ?? m[6] ?? m[7] ?? '');
  }
  return { words, options };
}

const SETTING_PARSERS: Record<string, (v: string) => unknown> = {
  timeZone: (v) => v,
  defaultSlotMinutes: (v) => Number(v),
  bookingHorizonDays: (v) => Number(v),
  minNoticeMinutes: (v) => Number(v),
  reminderOffsetsMinutes: (v) =>
    v.split(',').map((x) => {
      const m = /^\s*(\d+)\s*(h|m|min)?\s*$/i.exec(x);
      return m ? Number(m[1]) * (m[2]?.toLowerCase() === 'h' ? 60 : 1) : NaN;
    }),
  notifyDoctors: (v) => (/^(on|true|yes)$/i.test(v) ? true : /^(off|false|no)$/i.test(v) ? false : v),
  doctorDigest: (v) => (/^(on|true|yes)$/i.test(v) ? true : /^(off|false|no)$/i.test(v) ? false : v),
  digestTime: (v) => v.trim(),
  maxUpcomingPerPatient: (v) => Number(v),
  maxPerDoctorPerDayPerPatient: (v) => Number(v),
  registrationsPerHour: (v) => Number(v),
  registrationsPerPrefixPerDay: (v) => Number(v),
  newNumberBookingAlert: (v) => Number(v),
  holdMinutes: (v) => Number(v),
  waitlistOfferMinutes: (v) => Number(v),
  quietHours: (v) => {
    const m = /^\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$/.exec(v);
    return m ? { start: m[1], end: m[2] } : v;
  },
};

function showValue(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (v && typeof v === 'object' && 'start' in v && 'end' in v) return `${String(v.start)}-${String(v.end)}`;
  return String(v);
}

function doctorLine(d: DoctorView): string {
  return `${d.fullName}${d.active ? '' : ' (inactive)'}: ${d.specializations.join(', ') || 'no specialty'}; ${d.timeZone}; ${d.slotMinutes} min slots`;
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s);

export function helpText(): string {
  return ['Clinic commands:', ...Object.values(USAGE)].join('\n');
}

export function createAdminCommands(services: Services) {
  const { admin } = services;

  async function oneDoctor(actor: Actor, name: string | undefined, command: string): Promise<DoctorView> {
    if (!name) throw new UsageError(command);
    const found = await admin.findDoctors(actor, name);
    if (found.length === 0) throw new NotFoundError(`A doctor called "${name}"`);
    const exact = found.filter((d) => d.fullName.toLowerCase() === name.toLowerCase().replace(/^dr\.? /, ''));
    if (found.length > 1 && exact.length !== 1) {
      throw new ValidationError(`"${name}" could be ${found.map((d) => d.fullName).join(' or ')}; please be more specific.`);
    }
    return exact[0] ?? found[0];
  }

  async function oneLocation(name: string | undefined, command: string): Promise<Location> {
    if (!name) throw new UsageError(command);
    const found = await services.locations.findByName(name);
    if (!found) throw new NotFoundError(`A location called "${name}"`);
    return found;
  }

  async function oneVisitType(name: string | undefined, command: string): Promise<VisitType> {
    if (!name) throw new UsageError(command);
    const found = await services.visitTypes.findByName(name);
    if (!found) throw new NotFoundError(`A visit type called "${name}"`);
    return found;
  }

  const minutesOption = (value: string | undefined, command: string, what: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) throw new UsageError(command, `${what} must be a whole number of minutes`);
    return n;
  };

  /** A doctor's bookings that a change of their hours left outside them, with what to do about each. */
  async function outsideHours(actor: Actor, d: DoctorView): Promise<string> {
    const outside = await services.availability.bookingsOutsideHours(actor, d.id);
    if (outside.length === 0) return 'No booked appointment falls outside them.';
    const lines = outside.slice(0, 15).map((a) => `  ${a.id.slice(0, 8)} ${formatSlot(a.startsAt, d.timeZone)} ${a.patientName}`);
    return [
      `${outside.length} booked appointment${outside.length === 1 ? ' is' : 's are'} now outside these hours and stay${outside.length === 1 ? 's' : ''} booked until you decide:`,
      ...lines,
      'Move one: /clinic move <ref> <YYYY-MM-DD> <HH:mm>. Call one off: /clinic cancel <ref>. The patient is told either way.',
    ].join('\n');
  }

  function locationLine(l: Location): string {
    return `${l.name}: ${l.address ?? 'no address'}; ${l.phoneE164 ?? 'no phone'}; ${l.timeZone}`;
  }

  function visitTypeLine(v: VisitType & { doctorIds?: string[] }, doctors: DoctorView[]): string {
    const buffers = [v.bufferBeforeMinutes ? `${v.bufferBeforeMinutes} min before` : '', v.bufferAfterMinutes ? `${v.bufferAfterMinutes} min after` : ''].filter(Boolean).join(', ');
    const who = (v.doctorIds ?? []).map((id) => doctors.find((d) => d.id === id)?.fullName).filter(Boolean);
    return (
      `${v.name}: ${v.durationMinutes} min${buffers ? ` (+${buffers})` : ''}${v.telehealth ? ', by video' : ''}` +
      `${v.keywords.length ? `; words: ${v.keywords.join(', ')}` : ''}${v.intakeQuestions.length ? `; ${v.intakeQuestions.length} intake question(s)` : ''}` +
      `; offered by ${who.join(', ') || 'nobody yet'}`
    );
  }

  async function run(actor: Actor, text: string): Promise<Reply[]> {
    const { words, options } = tokenize(text.replace(/^\/?clinic\b\s*/i, ''));
    const [group = 'help', verb = '', ...args] = words.map((w, i) => (i < 2 ? w.toLowerCase() : w));
    // Only a known command's name is audited: the first word may be anything the user typed.
    const command = USAGE[`${group} ${verb}`] ? `${group} ${verb}` : USAGE[group] ? group : 'unknown';
    await admin.assertAdmin(actor, command);
    const say = (t: string): Reply[] => [{ text: t }];

    switch (command) {
      case 'help':
        return say(helpText());

      case 'doctors list': {
        const list = await admin.listDoctors(actor, verb === 'list' && args[0] === 'all');
        return say(list.length ? list.map(doctorLine).join('\n') : 'No doctors yet.');
      }
      case 'doctors add': {
        if (!args[0] || !options.zone) throw new UsageError(command);
        const slot = options.slot !== undefined ? Number(options.slot) : undefined;
        if (slot !== undefined && !Number.isInteger(slot)) throw new UsageError(command, 'slot must be a whole number of minutes');
        const d = await services.doctors.create(actor, {
          fullName: args[0],
          timeZone: options.zone,
          slotMinutes: slot,
          specializations: options.specialties?.split(',').map((s) => s.trim()).filter(Boolean),
          email: options.email,
        });
        return say(`Added ${doctorLine(d)}. Set their weekly hours from their own chat ('hours Mon-Fri 9-17'), or link their Slack or Teams with '/clinic users link'.`);
      }
      case 'doctors edit': {
        const d = await oneDoctor(actor, args[0], command);
        const slot = options.slot !== undefined ? Number(options.slot) : undefined;
        if (!options.name && !options.zone && slot === undefined && !options.email) throw new UsageError(command);
        const updated = await admin.updateDoctor(actor, d.id, { fullName: options.name, timeZone: options.zone, slotMinutes: slot, email: options.email });
        return say(`Updated ${doctorLine(updated)}.`);
      }
      case 'doctors deactivate': {
        const d = await oneDoctor(actor, args[0], command);
        const cancel = args[1]?.toLowerCase() === 'cancel';
        const { future, cancelled } = await admin.setDoctorActive(actor, d.id, false, cancel);
        const zone = d.timeZone;
        const listed = future.slice(0, 15).map((a) => `  ${formatSlot(a.startsAt, zone)}`).join('\n');
        if (future.length === 0) return say(`${d.fullName} is deactivated and has no future appointments.`);
        if (cancel) return say(`${d.fullName} is deactivated. Cancelled ${cancelled} future appointments; the patients are notified.`);
        return say(
          `${d.fullName} is deactivated and takes no new bookings. ${future.length} future appointments stay booked:\n${listed}\nTo cancel them and notify the patients: /clinic doctors deactivate "${d.fullName}" cancel`,
        );
      }
      case 'doctors activate': {
        const d = await oneDoctor(actor, args[0], command);
        await admin.setDoctorActive(actor, d.id, true);
        return say(`${d.fullName} takes bookings again.`);
      }

      case 'doctors grid': {
        const d = await oneDoctor(actor, args[0], command);
        const value = args[1]?.toLowerCase();
        if (!value) throw new UsageError(command);
        const minutes = value === 'off' ? null : minutesOption(value, command, 'the grid');
        await services.visitTypes.setGrid(actor, d.id, minutes ?? null);
        return say(minutes ? `${d.fullName}'s visits now start every ${minutes} minutes.` : `${d.fullName}'s visits now start one after another, each its own length.`);
      }

      case 'locations list': {
        const list = await services.locations.list();
        return say(list.map(locationLine).join('\n') || "No locations yet: this clinic's hours belong to no named place.");
      }
      case 'locations add': {
        if (!args[0] || !options.zone) throw new UsageError(command);
        const l = await services.locations.create(actor, { name: args[0], timeZone: options.zone, address: options.address, phone: options.phone });
        return say(`Added ${locationLine(l)}. Put a doctor's hours there with /clinic hours set "<doctor>" "Mon-Fri 9-17" at="${l.name}".`);
      }
      case 'locations edit': {
        const l = await oneLocation(args[0], command);
        if (!options.name && options.address === undefined && options.phone === undefined && !options.zone) throw new UsageError(command);
        const updated = await services.locations.update(actor, l.id, { name: options.name, address: options.address, phone: options.phone, timeZone: options.zone });
        return say(`Updated ${locationLine(updated)}.`);
      }

      case 'visit-types list': {
        const [list, doctors] = await Promise.all([services.visitTypes.list(), admin.listDoctors(actor)]);
        return say(list.map((v) => visitTypeLine(v, doctors)).join('\n') || 'No visit types yet.');
      }
      case 'visit-types add': {
        if (!args[0] || options.minutes === undefined) throw new UsageError(command);
        const v = await services.visitTypes.create(actor, {
          name: args[0],
          durationMinutes: minutesOption(options.minutes, command, 'minutes')!,
          bufferBeforeMinutes: minutesOption(options.before, command, 'before'),
          bufferAfterMinutes: minutesOption(options.after, command, 'after'),
          keywords: options.keywords?.split(','),
          telehealth: Boolean(options.video),
          videoUrlTemplate: options.video ?? null,
        });
        return say(`Added ${visitTypeLine(v, [])}. Offer it with /clinic visit-types offer "<doctor>" "${v.name}".`);
      }
      case 'visit-types edit': {
        const v = await oneVisitType(args[0], command);
        const video = options.video?.toLowerCase() === 'off' ? null : options.video;
        const updated = await services.visitTypes.update(actor, v.id, {
          name: options.name,
          durationMinutes: minutesOption(options.minutes, command, 'minutes'),
          bufferBeforeMinutes: minutesOption(options.before, command, 'before'),
          bufferAfterMinutes: minutesOption(options.after, command, 'after'),
          keywords: options.keywords?.split(','),
          ...(options.video !== undefined ? { telehealth: video !== null, videoUrlTemplate: video } : {}),
        });
        return say(`Updated ${visitTypeLine(updated, [])}. Visits already booked keep their length.`);
      }
      case 'visit-types intake': {
        const v = await oneVisitType(args[0], command);
        if (options.questions === undefined) throw new UsageError(command);
        const updated = await services.visitTypes.setIntakeQuestions(actor, v.id, options.questions.split('|'));
        return say(
          updated.intakeQuestions.length
            ? `After booking a ${updated.name}, patients are asked (each may be skipped):\n${updated.intakeQuestions.map((q, i) => `${i + 1}. ${q}`).join('\n')}`
            : `No intake questions for ${updated.name}.`,
        );
      }
      case 'visit-types offer': {
        const d = await oneDoctor(actor, args[0], command);
        if (!args[1]) throw new UsageError(command);
        const kinds = await Promise.all(args[1].split(',').map((n) => oneVisitType(n.trim(), command)));
        const chosenDefault = options.default ? await oneVisitType(options.default, command) : null;
        await services.visitTypes.setOffered(actor, d.id, kinds.map((k) => k.id), chosenDefault?.id ?? null);
        const now = await services.visitTypes.forDoctor(d.id);
        return say(`${d.fullName} offers ${now.offered.map((k) => (k.id === now.defaultId ? `${k.name} (usual)` : k.name)).join(', ')}.`);
      }

      case 'hours show': {
        const d = await oneDoctor(actor, args[0], command);
        const [rules, places] = await Promise.all([services.availability.weeklyHours(actor, d.id), services.locations.list()]);
        if (rules.length === 0) return say(`${d.fullName} has no weekly hours.`);
        const byPlace = new Map<string, typeof rules>();
        for (const r of rules) byPlace.set(r.locationId ?? '', [...(byPlace.get(r.locationId ?? '') ?? []), r]);
        const lines = [...byPlace].map(([id, list]) => `  ${id ? `${places.find((p) => p.id === id)?.name ?? 'A closed location'}: ` : ''}${describeWeeklyHours(list)}`);
        return say([`${d.fullName} (${d.timeZone}):`, ...lines].join('\n'));
      }
      case 'hours set': {
        const d = await oneDoctor(actor, args[0], command);
        const rules = args[1] ? readWeeklyHours(args[1]) : null;
        if (!rules) throw new UsageError(command, `I couldn't read "${args[1] ?? ''}" as hours`);
        const place = options.at ? await oneLocation(options.at, command) : null;
        await services.availability.setWeeklyHours(actor, d.id, rules, { locationId: place?.id ?? null });
        const head = `${d.fullName}'s hours${place ? ` at ${place.name}` : ''} are now ${describeWeeklyHours(rules)}.`;
        return say(`${head}\n${await outsideHours(actor, d)}`);
      }

      case 'timeoff add': {
        const d = await oneDoctor(actor, args[0], command);
        const at = (v: string | undefined, end: boolean) => {
          if (!v) return null;
          const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?$/.exec(v);
          if (!m || !isIsoDate(m[1])) return null;
          const day = DateTime.fromISO(m[1], { zone: d.timeZone });
          // A date alone is the whole day: from its start, or to its end.
          return m[2] ? DateTime.fromISO(`${m[1]}T${m[2]}`, { zone: d.timeZone }) : end ? day.plus({ days: 1 }) : day;
        };
        const from = at(args[1], false);
        const to = at(args[2] ?? args[1], true);
        if (!from || !to) throw new UsageError(command);
        const { timeOff, clashes } = await services.availability.addTimeOff(actor, d.id, { startsAt: from.toJSDate(), endsAt: to.toJSDate(), reason: options.reason ?? null });
        const span = `${formatSlot(timeOff.startsAt, d.timeZone)} to ${formatSlot(timeOff.endsAt, d.timeZone)}`;
        if (clashes.length === 0) return say(`Blocked ${span} for ${d.fullName} (ref ${timeOff.id.slice(0, 8)}).`);
        const schedule = await services.appointments.schedule(actor, d.id, timeOff.startsAt, timeOff.endsAt);
        const lines = schedule.filter((a) => a.status === 'booked').slice(0, 15).map((a) => `  ${a.id.slice(0, 8)} ${formatSlot(a.startsAt, d.timeZone)} ${a.patientName}`);
        return say(
          [
            `Blocked ${span} for ${d.fullName} (ref ${timeOff.id.slice(0, 8)}). ${clashes.length} booked appointment${clashes.length === 1 ? '' : 's'} in it stay booked until you decide:`,
            ...lines,
            'Move one: /clinic move <ref> <YYYY-MM-DD> <HH:mm>. Call one off: /clinic cancel <ref>. The patient is told either way.',
          ].join('\n'),
        );
      }
      case 'timeoff list': {
        const d = await oneDoctor(actor, args[0], command);
        const now = Date.now();
        const list = await services.availability.listTimeOff(actor, d.id, new Date(now), new Date(now + 366 * 86_400_000));
        return say(
          list.length
            ? [`${d.fullName}'s time off ahead:`, ...list.map((o) => `  ${o.id.slice(0, 8)} ${formatSlot(o.startsAt, d.timeZone)} to ${formatSlot(o.endsAt, d.timeZone)}${o.reason ? ` (${o.reason})` : ''}`)].join('\n')
            : `${d.fullName} has no time off ahead.`,
        );
      }
      case 'timeoff remove': {
        const d = await oneDoctor(actor, args[0], command);
        const ref = args[1]?.toLowerCase();
        if (!ref || !/^[0-9a-f]{4,36}$/.test(ref)) throw new UsageError(command);
        const list = await services.availability.listTimeOff(actor, d.id, new Date(0), new Date(Date.now() + 5 * 366 * 86_400_000));
        const found = list.filter((o) => o.id.startsWith(ref));
        if (found.length !== 1) throw new NotFoundError(`${d.fullName}'s time off ${ref}`);
        await services.availability.removeTimeOff(actor, found[0].id);
        return say(`Removed ${d.fullName}'s time off ${formatSlot(found[0].startsAt, d.timeZone)} to ${formatSlot(found[0].endsAt, d.timeZone)}; those times can be booked again.`);
      }

      case 'specialties list': {
        const list = await admin.listSpecializations(actor);
        return say(list.map((s) => `${s.name} (${s.doctors} doctors)${s.keywords.length ? `: ${s.keywords.join(', ')}` : ''}`).join('\n') || 'No specialties yet.');
      }
      case 'specialties add': {
        if (!args[0]) throw new UsageError(command);
        const s = await admin.addSpecialization(actor, args[0], options.keywords?.split(',') ?? []);
        return say(`Added the specialty ${s.name}.`);
      }
      case 'specialties keywords': {
        if (!args[0] || (!options.add && !options.remove)) throw new UsageError(command);
        const s = await admin.setSpecializationKeywords(actor, args[0], { add: options.add?.split(','), remove: options.remove?.split(',') });
        return say(`${s.name} is found by: ${s.keywords.join(', ') || 'its name only'}. Patients' words reach the chat within a minute.`);
      }
      case 'specialties rename': {
        if (!args[0] || !args[1]) throw new UsageError(command);
        const name = await admin.renameSpecialization(actor, args[0], args[1]);
        return say(`Renamed ${args[0]} to ${name}.`);
      }
      case 'specialties assign':
      case 'specialties unassign': {
        if (!args[0] || !args[1]) throw new UsageError(command);
        const d = await oneDoctor(actor, args[0], command);
        const updated = await admin.assignSpecialization(actor, d.id, args[1], verb === 'assign');
        return say(`${updated.fullName}: ${updated.specializations.join(', ') || 'no specialty'}.`);
      }

      case 'users list': {
        const role = args[0]?.toLowerCase();
        if (role && role !== 'doctor' && role !== 'admin') throw new UsageError(command);
        const users = await admin.listUsers(actor, role as 'doctor' | 'admin' | undefined);
        return say(
          users.map((u) => `${u.name} <${u.email ?? 'no email'}> ${u.role}${u.active ? '' : ' (deactivated)'}${u.links.length ? `; linked ${u.links.join(', ')}` : ''}`).join('\n') ||
            'No staff accounts.',
        );
      }
      case 'users link': {
        const [channel, externalId, email] = args;
        if ((channel !== 'slack' && channel !== 'teams') || !externalId || !email) throw new UsageError(command);
        const u = await admin.linkUser(actor, channel, externalId, email);
        return say(`Linked ${channel} user ${externalId} to ${u.name} (${u.role}).`);
      }
      case 'users code': {
        if (!args[0]) throw new UsageError(command);
        const { code, name, role } = await services.identity.issueLinkCode(actor, args[0]);
        return say(
          `Link code for ${name} (${role}), one use within 24 hours: ${code}\nGive it to them privately; they send "link ${code}" to me in a direct message on Slack or Teams.`,
        );
      }
      case 'users role': {
        const [email, role] = args;
        if (!email || (role !== 'doctor' && role !== 'admin')) throw new UsageError(command);
        await admin.changeRole(actor, email, role);
        return say(`${email} is now ${role === 'admin' ? 'an admin' : 'a doctor'}.`);
      }
      case 'fhir-clients list': {
        const list = await services.fhirClients.list(actor);
        return say(list.map((c) => `${c.clientId} ${c.name}${c.revoked ? ' (revoked)' : ''}${c.jwksUrl ? ' (signed JWT)' : ''}: ${c.scopes.join(' ')}`).join('\n') || 'No FHIR clients yet.');
      }
      case 'fhir-clients add': {
        if (!args[0] || !options.scopes) throw new UsageError(command);
        const c = await services.fhirClients.register(actor, args[0], options.scopes.split(/[\s,]+/), { jwksUrl: options.jwks ?? null });
        if (!c.secret) {
          return say(
            `FHIR client ${args[0]}: client_id ${c.clientId}, no secret: it signs JWT assertions with the keys at ${options.jwks} (SMART Backend Services). ` +
              `Scopes: ${c.scopes.join(' ')}. Tokens: POST /fhir/token with grant_type=client_credentials and client_assertion.`,
          );
        }
        return say(
          `FHIR client ${args[0]}: client_id ${c.clientId}, client_secret ${c.secret} (shown once: give it to the integrator privately). ` +
            `Scopes: ${c.scopes.join(' ')}. Tokens: POST /fhir/token with grant_type=client_credentials.`,
        );
      }
      case 'fhir-clients revoke': {
        if (!args[0]) throw new UsageError(command);
        await services.fhirClients.revoke(actor, args[0]);
        return say(`${args[0]} is revoked; its tokens no longer work.`);
      }
      case 'users reactivate': {
        if (!args[0]) throw new UsageError(command);
        await admin.reactivateUser(actor, args[0]);
        return say(`${args[0]} is active again and can use the bot.`);
      }
      case 'users deactivate': {
        if (!args[0]) throw new UsageError(command);
        await admin.deactivateUser(actor, args[0]);
        return say(`${args[0]} is deactivated and can no longer use the bot.`);
      }

      case 'patients find': {
        if (!args[0]) throw new UsageError(command);
        const p = await admin.findPatientByPhone(actor, args.join(''));
        if (!p) return say('No patient has that phone number.');
        const upcoming = await services.appointments.listForPatient(actor, p.id, 'upcoming', 5);
        return [
          {
            text: 'Patient found (this look-up is recorded):',
            card: {
              title: withLanguage(p.fullName, p.locale),
              lines: [
                `Date of birth: ${p.dateOfBirth}`,
                `Phone: ${p.phoneE164 ?? 'none'}${p.smsOptOut ? ' (opted out of texts)' : ''}`,
                ...(p.verificationLocked ? ['Date-of-birth checks: locked (clear with /clinic patients unlock)'] : []),
                `Time zone: ${p.timeZone}`,
                `Upcoming: ${upcoming.map((a) => formatSlot(a.startsAt, p.timeZone)).join('; ') || 'none'}`,
              ],
            },
          },
        ];
      }

      case 'patients unlock': {
        if (!args[0]) throw new UsageError(command);
        const { wasLocked } = await admin.unlockVerification(actor, args.join(''));
        return say(`${wasLocked ? 'Unlocked' : 'Cleared'}: that patient can confirm their date of birth by text again.`);
      }

      case 'settings show': {
        const s = await services.settings.get();
        return say(Object.entries(s).map(([k, v]) => `${k}: ${showValue(v)}`).join('\n'));
      }
      case 'settings set': {
        const [key, ...rest] = args;
        const raw = rest.join(' ');
        if (!key || !raw) throw new UsageError(command);
        const parse = SETTING_PARSERS[key];
        if (!parse) throw new ValidationError(`There is no setting called ${key}. Settings: ${Object.keys(SETTING_PARSERS).join(', ')}.`);
        const s = await services.settings.update(actor, key, parse(raw));
        return say(`${key} is now ${showValue(s[key as keyof typeof s])}.`);
      }
      case 'settings history': {
        const changes = await services.settings.history(actor, args[0]);
        return say(
          changes.map((c) => `${c.changedAt.toISOString().slice(0, 16).replace('T', ' ')} ${c.key}: ${showValue(c.oldValue)} -> ${showValue(c.newValue)}`).join('\n') ||
            'No changes yet.',
        );
      }

      case 'report': {
        const [from, to, ...flags] = [verb, ...args];
        if (!from || !to || !isIsoDate(from) || !isIsoDate(to)) throw new UsageError(command);
        const report = await services.reports.report(actor, from, to);
        const files = [];
        const want = flags.map((f) => f.toLowerCase());
        if (want.includes('csv')) files.push({ name: `clinic-report-${from}-${to}.csv`, contentType: 'text/csv', data: Buffer.from(reportCsv(report)) });
        if (want.includes('chart')) files.push({ name: `utilization-${from}-${to}.png`, contentType: 'image/png', data: utilizationChart(report) });
        return [{ text: reportText(report), files: files.length ? files : undefined }];
      }

      case 'appointments': {
        const [name, date] = [verb, ...args];
        if (!name || !date || !isIsoDate(date)) throw new UsageError(command);
        const d = await oneDoctor(actor, name, command);
        const day = DateTime.fromISO(date, { zone: d.timeZone });
        const list = await services.appointments.schedule(actor, d.id, day.toJSDate(), day.plus({ days: 1 }).toJSDate());
        return say(
          list.length
            ? [`${d.fullName}, ${date}:`, ...list.map((a) => `  ${a.id.slice(0, 8)} ${formatSlot(a.startsAt, d.timeZone)} ${a.patientName} (${a.status.replace('_', '-')})`)].join('\n')
            : `${d.fullName} has no appointments on ${date}.`,
        );
      }
      case 'book': {
        // The front desk books for a patient; the time is the doctor's local time.
        const [phone, name, date, time] = [verb, ...args];
        if (!phone || !name || !date || !time || !isIsoDate(date) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) throw new UsageError(command);
        const patient = await admin.findPatientByPhone(actor, phone);
        if (!patient) return say('No patient has that phone number. They can register by texting the clinic.');
        const d = await oneDoctor(actor, name, command);
        const startsAt = DateTime.fromISO(`${date}T${time}`, { zone: d.timeZone });
        if (startsAt.toFormat('HH:mm') !== time) return say(`${date} ${time} does not exist in ${d.timeZone} (the clocks change then).`);
        const kind = options.type ? await oneVisitType(options.type, command) : null;
        const place = options.at ? await oneLocation(options.at, command) : null;
        const visit = { visitTypeId: kind?.id ?? null, locationId: place?.id ?? null };
        try {
          const a = await services.booking.book(actor, { doctorId: d.id, patientId: patient.id, startsAt: startsAt.toJSDate(), channel: actor.channel ?? 'console', reason: options.reason ?? null, ...visit });
          const where = a.locationId ? (await services.locations.get(a.locationId))?.name : null;
          return say(`Booked ${patient.fullName} with Dr ${d.fullName}${kind ? ` (${kind.name})` : ''} on ${formatSlot(a.startsAt, d.timeZone)} (${d.timeZone})${where ? ` at ${where}` : ''}. Reference ${a.id.slice(0, 8)}.`);
        } catch (err) {
          if (!(err instanceof DomainError) || !['SLOT_TAKEN', 'SLOT_UNAVAILABLE'].includes(err.code)) throw err;
          const near = await services.availability.nearestFreeSlots(d.id, startsAt.toJSDate(), 3, visit);
          return say(`${errorText(err)} Nearest free times with Dr ${d.fullName}: ${near.map((n) => formatSlot(n.start, d.timeZone)).join('; ') || 'none soon'}.`);
        }
      }
      case 'series': {
        const [phone, name, date, time, ...flags] = [verb, ...args];
        const count = Number(options.count);
        const every = options.every !== undefined ? Number(options.every) : 1;
        if (!phone || !name || !date || !time || !isIsoDate(date) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time) || !Number.isInteger(count) || !Number.isInteger(every)) {
          throw new UsageError(command);
        }
        const patient = await admin.findPatientByPhone(actor, phone);
        if (!patient) return say('No patient has that phone number. They can register by texting the clinic.');
        const d = await oneDoctor(actor, name, command);
        const first = DateTime.fromISO(`${date}T${time}`, { zone: d.timeZone });
        if (first.toFormat('HH:mm') !== time) return say(`${date} ${time} does not exist in ${d.timeZone} (the clocks change then).`);
        const kind = options.type ? await oneVisitType(options.type, command) : null;
        const plan = await services.availability.planSeries(d.id, first.toJSDate(), { occurrences: count, everyWeeks: every, zone: d.timeZone, visitTypeId: kind?.id ?? null });
        const free = plan.filter((o) => o.free);
        const notFree = plan.filter((o) => !o.free);
        const takeRest = flags.some((f) => f.toLowerCase() === 'rest');
        if (notFree.length && !takeRest) {
          const lines = notFree.map((o) => `  ${formatSlot(o.startsAt, d.timeZone)} not free${o.alternatives.length ? `; nearest: ${o.alternatives.map((a) => formatSlot(a.start, d.timeZone)).join(', ')}` : ''}`);
          return say(
            [`${free.length} of ${plan.length} visits are free with Dr ${d.fullName}. Not booked yet:`, ...lines, `To book the ${free.length} free ones, add 'rest' to the command; or book the others one by one.`].join('\n'),
          );
        }
        if (free.length < 2) return say(`Only ${free.length} of those ${plan.length} times are free with Dr ${d.fullName}; no series booked.`);
        const { appointments } = await services.booking.bookSeries(actor, {
          doctorId: d.id,
          patientId: patient.id,
          starts: free.map((o) => o.startsAt),
          everyWeeks: every,
          channel: actor.channel ?? 'console',
          visitTypeId: kind?.id ?? null,
        });
        return say(
          [`Booked ${appointments.length} visits for ${patient.fullName} with Dr ${d.fullName} (${d.timeZone}):`, ...appointments.map((a) => `  ${a.id.slice(0, 8)} ${formatSlot(a.startsAt, d.timeZone)}`)].join('\n'),
        );
      }
      case 'cancel': {
        if (!verb) throw new UsageError(command);
        const id = await admin.findAppointmentByRef(actor, verb);
        if (args[0]?.toLowerCase() === 'rest') {
          const cancelled = await services.booking.cancelSeries(actor, id, 'cancelled by the clinic');
          const zone = (await services.settings.get()).timeZone;
          return say(`Cancelled ${cancelled.length} appointments of the series, from ${cancelled[0] ? formatSlot(cancelled[0].startsAt, zone) : 'now'}; the patient is notified.`);
        }
        const a = await services.booking.cancel(actor, id, 'cancelled by the clinic');
        const zone = (await services.settings.get()).timeZone;
        return say(`Cancelled the appointment of ${formatSlot(a.startsAt, zone)}; the patient is notified.`);
      }
      case 'move': {
        const [ref, date, time] = [verb, ...args];
        if (!ref || !date || !time || !isIsoDate(date) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) throw new UsageError(command);
        const id = await admin.findAppointmentByRef(actor, ref);
        const current = await services.appointments.get(actor, id);
        const d = await services.doctors.get(current.doctorId);
        const startsAt = DateTime.fromISO(`${date}T${time}`, { zone: d.timeZone });
        if (startsAt.toFormat('HH:mm') !== time) return say(`${date} ${time} does not exist in ${d.timeZone} (the clocks change then).`);
        try {
          const a = await services.booking.reschedule(actor, id, startsAt.toJSDate());
          return say(`Moved to ${formatSlot(a.startsAt, d.timeZone)} (${d.timeZone}) with Dr ${d.fullName}; the patient is told. New reference ${a.id.slice(0, 8)}.`);
        } catch (err) {
          if (!(err instanceof DomainError) || !['SLOT_TAKEN', 'SLOT_UNAVAILABLE'].includes(err.code)) throw err;
          const near = await services.availability.nearestFreeSlots(d.id, startsAt.toJSDate(), 3, { visitTypeId: current.visitTypeId ?? null });
          return say(`${errorText(err)} Nearest free times with Dr ${d.fullName}: ${near.map((n) => formatSlot(n.start, d.timeZone)).join('; ') || 'none soon'}.`);
        }
      }
      case 'mark': {
        const [ref, outcome] = [verb, ...args];
        const status = outcome?.toLowerCase() === 'completed' ? 'completed' : /^no-?show$/i.test(outcome ?? '') ? 'no_show' : null;
        if (!ref || !status) throw new UsageError(command);
        const id = await admin.findAppointmentByRef(actor, ref);
        const a = await services.booking.recordOutcome(actor, id, status);
        const zone = (await services.settings.get()).timeZone;
        return say(`Recorded: the appointment of ${formatSlot(a.startsAt, zone)} was ${status === 'completed' ? 'completed' : 'a no-show'}.`);
      }

      case 'audit': {
        const n = verb ? Number(verb) : 20;
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(command, 'count must be 1 to 100');
        const zone = (await services.settings.get()).timeZone;
        const rows = await admin.searchAudit(
          actor,
          { limit: n, patientPhone: options.patient, userEmail: options.user, action: options.action, from: options.from, to: options.to },
          zone,
        );
        const who = (r: (typeof rows)[number]) => (r.actorName ? `${r.actorName} (${r.actorRole})` : (r.actorRole ?? 'system'));
        return say(
          rows
            .map(
              (r) =>
                `${DateTime.fromJSDate(new Date(r.at), { zone }).toFormat('yyyy-LL-dd HH:mm')} ${who(r)} ${r.action} ${r.outcome}` +
                `${r.subjectType ? ` ${r.subjectType}:${String(r.subjectId ?? '').slice(0, 8)}` : ''}${r.channel ? ` via ${r.channel}` : ''}`,
            )
            .join('\n') || 'No audit entries match.',
        );
      }

      default:
        return say(`I don't know the command "${clip(words.slice(0, 2).join(' '), 40)}".\n${helpText()}`);
    }
  }

  return async (actor: Actor, raw: string): Promise<Reply[]> => {
    // Slash-commands come straight from Slack, not through the dialog engine: cleaned the same way.
    const text = cleanInput(raw);
    try {
      return await run(actor, text);
    } catch (err) {
      if (err instanceof UsageError) return [{ text: `${err.why ? `${err.why}. ` : ''}Usage: ${USAGE[err.command]}` }];
      if (err instanceof ForbiddenError) return [{ text: 'Only clinic admins can use /clinic commands.' }];
      if (err instanceof DomainError) return [{ text: errorText(err) }];
      throw err;
    }
  };
}

export type AdminCommands = ReturnType<typeof createAdminCommands>;
