import { ValidationError } from '../../src/domain/errors';
import { firstName, normalizePhone, validateDateOfBirth, validateFullName } from '../../src/domain/patient';
import { normalizeSearchText, searchTerms } from '../../src/domain/search';
import { isInDstGap, isIsoDate } from '../../src/domain/time';

const now = Date.parse('2026-12-01T12:00:00Z');

describe('patient details', () => {
  it('keeps phone numbers in E.164', () => {
    expect(normalizePhone('(212) 555-0123')).toBe('+12125550123');
    expect(normalizePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(() => normalizePhone('12')).toThrow(ValidationError);
    expect(() => normalizePhone("'; DROP TABLE patients; --")).toThrow(ValidationError);
  });

  it('accepts real dates of birth only', () => {
    expect(validateDateOfBirth('1985-02-28', now)).toBe('1985-02-28');
    for (const bad of ['1985-02-30', '2027-01-01', '1899-12-31', 'yesterday', '']) {
      expect(() => validateDateOfBirth(bad, now)).toThrow(ValidationError);
    }
  });

  it('cleans names and refuses ones with no letters', () => {
    expect(validateFullName('  Zoë   Müller\u0000 ')).toBe('Zoë Müller');
    expect(validateFullName('مريم')).toBe('مريم');
    expect(() => validateFullName('12345')).toThrow(ValidationError);
    expect(() => validateFullName('x'.repeat(121))).toThrow(ValidationError);
    expect(firstName('Zoë Müller')).toBe('Zoë');
  });
});

describe('search text and dates', () => {
  it('ignores case, accents and filler words', () => {
    expect(normalizeSearchText('Dr. José NÚÑEZ')).toBe('dr jose nunez');
    expect(searchTerms('Dr Patel')).toEqual(['patel']);
    expect(searchTerms('skin doctor')).toEqual(['skin']);
    expect(searchTerms('%_\'"')).toEqual([]);
  });

  it('knows impossible dates and DST gaps', () => {
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isInDstGap('2026-03-08', 2 * 60 + 30, 'America/New_York')).toBe(true);
    expect(isInDstGap('2026-03-08', 3 * 60 + 30, 'America/New_York')).toBe(false);
  });
});
