import type { ClinicReport } from '../services/reports';
import { languageName } from '../i18n/staff';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The report as a message a person reads in Slack, Teams or the console. */
export function reportText(r: ClinicReport): string {
  const t = r.totals;
  const lines = [
    `Report ${r.from} to ${r.to} (${r.zone})`,
    `Appointments: ${t.appointments} (booked ${t.booked}, completed ${t.completed}, cancelled ${t.cancelled}, no-show ${t.noShow})`,
    `Cancellation rate ${pct(r.cancellationRate)}, no-show rate ${pct(r.noShowRate)}, utilization ${pct(r.utilization)}`,
    'By doctor:',
    ...r.byDoctor.map(
      (d) =>
        `  ${d.doctor}: ${d.booked + d.completed + d.noShow} seen or booked, ${pct(d.utilization)} of ${d.offeredMinutes} offered minutes used, ${d.cancelled} cancelled, ${d.noShow} no-show`,
    ),
    `By specialty: ${r.bySpecialty.map((s) => `${s.specialty} ${s.appointments}`).join(', ') || 'none'}`,
    `By location: ${r.byLocation.map((l) => `${l.location} ${l.appointments}${l.cancelled ? ` (+${l.cancelled} cancelled)` : ''}`).join(', ') || 'none'}`,
    `By kind of visit: ${r.byVisitType.map((v) => `${v.visitType} ${v.appointments} (${v.minutes} min)${v.cancelled ? ` +${v.cancelled} cancelled` : ''}`).join(', ') || 'none'}`,
    `Waitlist: ${r.waitlist.waiting.map((w) => `${w.doctor} ${w.entries}`).join(', ') || 'nobody waiting'}; freed times offered ${r.waitlist.offered}, filled from it ${r.waitlist.filled}${r.waitlist.offered ? ` (${pct(r.waitlist.filled / r.waitlist.offered)})` : ''}`,
    `Bookings by channel: ${r.byChannel.map((c) => `${c.channel} ${c.bookings}`).join(', ') || 'none'}`,
    `Bookings by language: ${r.byLanguage.map((l) => `${languageName(l.locale)} ${l.bookings}`).join(', ') || 'none'}`,
    `Busiest hours: ${r.busiestHours.map((b) => `${WEEKDAYS[b.weekday - 1]} ${String(b.hour).padStart(2, '0')}:00 (${b.appointments})`).join(', ') || 'none'}`,
  ];
  return lines.join('\n');
}

function csvCell(value: string | number): string {
  const s = String(value);
  // Quote when needed, and defuse cells a spreadsheet would run as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row per figure: section, name, metric, value. Easy to pivot in a spreadsheet. */
export function reportCsv(r: ClinicReport): string {
  const rows: Array<[string, string, string, string | number]> = [['section', 'name', 'metric', 'value'] as never];
  const t = r.totals;
  for (const [k, v] of Object.entries(t)) rows.push(['totals', 'clinic', k, v]);
  rows.push(['rates', 'clinic', 'cancellation_rate', r.cancellationRate.toFixed(4)]);
  rows.push(['rates', 'clinic', 'no_show_rate', r.noShowRate.toFixed(4)]);
  rows.push(['rates', 'clinic', 'utilization', r.utilization.toFixed(4)]);
  for (const d of r.byDoctor) {
    for (const k of ['booked', 'completed', 'cancelled', 'noShow', 'bookedMinutes', 'offeredMinutes'] as const) rows.push(['doctor', d.doctor, k, d[k]]);
    rows.push(['doctor', d.doctor, 'utilization', d.utilization.toFixed(4)]);
  }
  for (const s of r.bySpecialty) rows.push(['specialty', s.specialty, 'appointments', s.appointments]);
  for (const l of r.byLocation) {
    rows.push(['location', l.location, 'appointments', l.appointments]);
    rows.push(['location', l.location, 'cancelled', l.cancelled]);
  }
  for (const v of r.byVisitType) {
    rows.push(['visit_type', v.visitType, 'appointments', v.appointments]);
    rows.push(['visit_type', v.visitType, 'cancelled', v.cancelled]);
    rows.push(['visit_type', v.visitType, 'minutes', v.minutes]);
  }
  for (const w of r.waitlist.waiting) rows.push(['waitlist', w.doctor, 'waiting', w.entries]);
  rows.push(['waitlist', 'clinic', 'offered', r.waitlist.offered]);
  rows.push(['waitlist', 'clinic', 'filled', r.waitlist.filled]);
  for (const c of r.byChannel) rows.push(['channel', c.channel, 'bookings', c.bookings]);
  for (const l of r.byLanguage) rows.push(['language', l.locale, 'bookings', l.bookings]);
  for (const b of r.busiestHours) rows.push(['busiest_hour', `${WEEKDAYS[b.weekday - 1]} ${String(b.hour).padStart(2, '0')}:00`, 'appointments', b.appointments]);
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
