import { DateTime } from 'luxon';
import { describeReading, findWhen, readWhen } from '../../dialogs/understanding/dates';
import { loadCases, scoreDates, CORPUS_FILES, CORPUS_FILES_ES } from '../corpus/score-dates';

const NY = 'America/New_York';
const at = (iso: string, zone = NY) => DateTime.fromISO(iso, { zone }).toMillis();
const read = (text: string, now = '2026-11-27T14:30', zone = NY, prefer?: 'future' | 'nearest') => describeReading(readWhen(text, { zone, now: at(now, zone), prefer }));

describe('days and times as a receptionist reads them', () => {
  it.each([
    // Friday 27 November 2026, 14:30 in New York.
    ['monday at 3', { date: '2026-11-30', time: '15:00' }],
    ['4:30', { time: '16:30' }],
    ['at 1030', { time: '10:30' }],
    ['7p', { time: '19:00' }],
    ['half past 3', { time: '15:30' }],
    ['a quarter to 11', { time: '10:45' }],
    ['Tuesday the 19th', { date: '2027-01-19' }],
    ['friday after next', { date: '2026-12-11' }],
    ['the 15th', { date: '2026-12-15' }],
    ['next week', { from: '2026-11-30', to: '2026-12-06' }],
    ['rest of the week', { from: '2026-11-27', to: '2026-11-28' }],
    ['within 2 weeks', { from: '2026-11-27', to: '2026-12-11' }],
    ['ASAP', { asap: true }],
    ['first available', { asap: true }],
    ['after lunch', { window: ['13:00', '23:59'] }],
    ['by 2pm', { window: ['00:00', '14:00'] }],
    ['Thursday from 9:30 to 11', { date: '2026-12-03', window: ['09:30', '11:00'] }],
    ['tomorrow afternoon', { date: '2026-11-28', window: ['12:00', '17:00'] }],
    ['Feb 15', { date: '2027-02-15' }],
  ])('%s', (text, expected) => {
    expect(read(text)).toEqual(expected);
  });

  it('asks rather than guesses: a weekday said on that weekday, with no time still ahead', () => {
    const r = readWhen('friday', { zone: NY, now: at('2026-11-27T14:30') });
    expect(r).toMatchObject({ kind: 'ask', question: 'Today (Fri 27 Nov) or next Friday (Fri 4 Dec)?' });
    // With a time still ahead today, it is today; with one already past, next week.
    expect(read('friday at 4pm')).toEqual({ date: '2026-11-27', time: '16:00' });
    expect(read('friday at 10am')).toEqual({ date: '2026-12-04', time: '10:00' });
    // A weekday the date is not: a question too.
    expect(read('Wed, Jan 22')).toEqual({ ask: true });
  });

  it('says when the year moves on, and looks back when asked to (a schedule)', () => {
    expect(readWhen('Feb 15', { zone: NY, now: at('2026-12-10T09:00') })).toMatchObject({ kind: 'day', date: '2027-02-15', yearShown: true });
    expect(readWhen('Dec 23', { zone: NY, now: at('2026-12-10T09:00') })).toMatchObject({ kind: 'day', yearShown: false });
    expect(read('Nov 20', '2026-11-27T14:30', NY, 'nearest')).toEqual({ date: '2026-11-20' });
    expect(read('last friday', '2026-11-27T14:30', NY, 'nearest')).toEqual({ date: '2026-11-20' });
  });

  it("reads 'tomorrow' by the person's own calendar, not the server's", () => {
    // 03:00 UTC on 2 December is still 1 December (22:00) in New York, already 2 December in London.
    const instant = Date.parse('2026-12-02T03:00:00Z');
    expect(describeReading(readWhen('tomorrow', { zone: NY, now: instant }))).toEqual({ date: '2026-12-02' });
    expect(describeReading(readWhen('tomorrow', { zone: 'Europe/London', now: instant }))).toEqual({ date: '2026-12-03' });
  });

  it('reads wall-clock times on the days the clocks change', () => {
    // Sunday 8 March 2027 in New York skips 02:00 to 03:00; 1 November 2026 repeats 01:00 to 02:00.
    expect(read('March 14 at 9am', '2027-03-08T09:00')).toEqual({ date: '2027-03-14', time: '09:00' });
    expect(read('Nov 1 at 1:30am', '2026-10-30T09:00')).toEqual({ date: '2026-11-01', time: '01:30' });
  });

  it('finds nothing in what is not a day or a time', () => {
    for (const text of ['banana', '', '   ', 'skin doctor', 'yes please', 'Feb 30']) expect(read(text)).toBeNull();
  });
});

describe('where the day or time ends, so the rest of the message is read for a doctor', () => {
  it.each([
    ['the 3rd with Dr Ortega', 'the 3rd', { date: '2026-12-03' }],
    ['on the 15th at 9 with the skin doctor', 'on the 15th at 9', { date: '2026-12-15', time: '09:00' }],
    ['tuesday the 19th at 3 with dr patel', 'tuesday the 19th at 3', { date: '2027-01-19', time: '15:00' }],
    ['friday after next dr chen', 'friday after next', { date: '2026-12-11' }],
  ])('"%s": "%s"', (text, span, reading) => {
    const found = findWhen(text, { zone: NY, now: at('2026-11-27T14:30', NY) })!;
    expect(found.text.slice(found.start, found.end)).toBe(span);
    expect(describeReading(found.reading)).toEqual(reading);
  });
});

describe('the date corpus (Recognizers-Text and Duckling specifications, clinic transcripts)', () => {
  it('reads at least 97% right and is never confidently wrong on the clinic transcripts', () => {
    const all = scoreDates(loadCases([...CORPUS_FILES, `${__dirname}/../corpus/dates.duckling.en.json`]));
    expect(all.right / all.cases).toBeGreaterThanOrEqual(0.97);
    const clinic = scoreDates(loadCases([`${__dirname}/../corpus/dates.clinic.en.json`]));
    expect(clinic.failures.filter((f) => f.verdict === 'wrong')).toEqual([]);
  });
});

describe('the Spanish date corpora (Recognizers-Text Spanish specifications, clinic and held-out phrasings)', () => {
  it('reads at least 97% right and is never confidently wrong on what Spanish-speaking patients text', () => {
    const all = scoreDates(loadCases([...CORPUS_FILES_ES, `${__dirname}/../corpus/dates.heldout.es.json`]));
    expect(all.right / all.cases).toBeGreaterThanOrEqual(0.97);
    expect(all.failures.filter((f) => f.verdict === 'wrong')).toEqual([]);
  });

  it('reads the phrasings of issue 13 in Spanish, in the patient’s zone', () => {
    const now = DateTime.fromISO('2026-11-27T14:30', { zone: 'America/New_York' }).toMillis();
    const es = (text: string) => readWhen(text, { zone: 'America/New_York', now, locale: 'es' });
    expect(es('mañana por la tarde')).toEqual({ kind: 'day', date: '2026-11-28', yearShown: false, window: { start: 720, end: 1020 } });
    expect(es('el viernes a las 3')).toMatchObject({ kind: 'day', time: 900 });
    expect(es('la próxima semana')).toEqual({ kind: 'range', from: '2026-11-30', to: '2026-12-06', yearShown: false });
    expect(es('el 15 de diciembre a las 10:30')).toMatchObject({ kind: 'day', date: '2026-12-15', time: 630 });
    expect(es('lo antes posible')).toEqual({ kind: 'asap' });
    expect(es('después del almuerzo')).toEqual({ kind: 'time', window: { start: 780, end: 1439 } });
    // The same words in English are not Spanish: nothing is read from them with the English model.
    expect(readWhen('mañana por la tarde', { zone: 'America/New_York', now })).toBeNull();
  });
});
