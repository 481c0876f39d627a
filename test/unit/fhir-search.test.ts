import { dateRange, idFrom, SearchError } from '../../adapters/fhir/http';
import { scopeAllows } from '../../src/services/fhir-clients';

/** How FHIR search values are read: date prefixes in the clinic's day, references of one type only, SMART scopes with wildcards. */
const NY = 'America/New_York';
const iso = (r: { from: Date | null; to: Date | null }) => [r.from?.toISOString() ?? null, r.to?.toISOString() ?? null];

describe('date searches', () => {
  it('reads a bare date as the clinic\'s calendar day, 23 hours long on the spring-forward day', () => {
    expect(iso(dateRange(['2026-12-02'], NY, 'date'))).toEqual(['2026-12-02T05:00:00.000Z', '2026-12-03T05:00:00.000Z']);
    expect(iso(dateRange(['2027-03-14'], NY, 'date'))).toEqual(['2027-03-14T05:00:00.000Z', '2027-03-15T04:00:00.000Z']);
    expect(iso(dateRange(['2026-11-01'], NY, 'date'))).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });

  it('combines ge, gt, le and lt into one range; le and gt of a day include or skip the whole day', () => {
    expect(iso(dateRange(['ge2026-12-01', 'lt2026-12-08'], NY, 'start'))).toEqual(['2026-12-01T05:00:00.000Z', '2026-12-08T05:00:00.000Z']);
    expect(iso(dateRange(['gt2026-12-01', 'le2026-12-02'], NY, 'start'))).toEqual(['2026-12-02T05:00:00.000Z', '2026-12-03T05:00:00.000Z']);
    expect(iso(dateRange(['ge2026-12-01T14:00:00Z', 'lt2026-12-01T16:30:00+01:00'], NY, 'start'))).toEqual(['2026-12-01T14:00:00.000Z', '2026-12-01T15:30:00.000Z']);
    expect(iso(dateRange([], NY, 'start'))).toEqual([null, null]);
  });

  it('refuses what is not a date search, naming the parameter', () => {
    for (const bad of ['tomorrow', '2026-13-01', 'ge2026-12-01T10:00', 'xx2026-12-01', '']) {
      expect(() => dateRange([bad], NY, 'date')).toThrow(SearchError);
    }
    expect(() => dateRange(['soon'], NY, 'start')).toThrow(/start=soon/);
  });
});

describe('references', () => {
  const id = '0b8f0a52-5c2e-4f4e-9d1a-2f9e1c7a3b10';
  it('takes Type/id, an absolute URL to it, or a bare id, and never another type\'s reference', () => {
    expect(idFrom(`Practitioner/${id}`, 'Practitioner')).toBe(id);
    expect(idFrom(`https://ehr.test/fhir/Practitioner/${id}`, 'Practitioner')).toBe(id);
    expect(idFrom(id, 'Practitioner')).toBe(id);
    expect(idFrom(`Patient/${id}`, 'Practitioner')).toBeNull();
    expect(idFrom('Practitioner/42', 'Practitioner')).toBeNull();
    expect(idFrom(undefined, 'Practitioner')).toBeNull();
  });
});

describe('SMART scopes', () => {
  it('grants by exact scope or by a wildcard for the resource or the verb, never write for read', () => {
    expect(scopeAllows(['system/Slot.read'], 'system/Slot.read')).toBe(true);
    expect(scopeAllows(['system/*.read'], 'system/Appointment.read')).toBe(true);
    expect(scopeAllows(['system/*.read'], 'system/Appointment.write')).toBe(false);
    expect(scopeAllows(['system/Appointment.*'], 'system/Appointment.write')).toBe(true);
    expect(scopeAllows(['system/Appointment.*'], 'system/Patient.read')).toBe(false);
    expect(scopeAllows(['system/*.*'], 'system/Patient.read')).toBe(true);
    expect(scopeAllows(['system/Slot.read'], 'system/Slot.write')).toBe(false);
    expect(scopeAllows([], 'system/Slot.read')).toBe(false);
  });
});
