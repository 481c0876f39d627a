import { describeWeeklyHours, readWeeklyHours } from '../../dialogs/support/hours';
import { readDateOfBirth, readTimeZone } from '../../dialogs/support/personal';
import { smsSegments } from '../../dialogs/support/format';

const NY = 'America/New_York';

describe('reading weekly hours', () => {
  it.each([
    ['Mon-Fri 9-17', 'Mon-Fri 09:00-17:00'],
    ['weekdays 9am-5pm', 'Mon-Fri 09:00-17:00'],
    ['Mon-Fri 9-5', 'Mon-Fri 09:00-17:00'],
    ['Mon 9-12, Wed 13:30-17', 'Mon 09:00-12:00; Wed 13:30-17:00'],
    ['tue & thu 8-12', 'Tue, Thu 08:00-12:00'],
  ])('%s', (text, described) => {
    expect(describeWeeklyHours(readWeeklyHours(text)!)).toBe(described);
  });

  it('refuses hours it cannot read', () => {
    for (const text of ['whenever', 'Mon 17-9am', 'Funday 9-17', 'Mon-Fri', 'Mon 25-26']) expect(readWeeklyHours(text)).toBeNull();
  });
});

describe('reading a date of birth and a time zone', () => {
  it('reads numeric dates month-first in the Americas and day-first elsewhere', () => {
    expect(readDateOfBirth('04/12/1988', NY)).toBe('1988-04-12');
    expect(readDateOfBirth('04/12/1988', 'Europe/London')).toBe('1988-12-04');
    expect(readDateOfBirth('25/12/1988', NY)).toBe('1988-12-25');
    expect(readDateOfBirth('1988-04-12', NY)).toBe('1988-04-12');
    expect(readDateOfBirth('April 12th, 1988', NY)).toBe('1988-04-12');
    expect(readDateOfBirth('12 Apr 1988', NY)).toBe('1988-04-12');
    for (const bad of ['02/30/1990', '13/13/1990', 'yesterday', '']) expect(readDateOfBirth(bad, NY)).toBeNull();
  });

  it('reads zones by name, city or common name', () => {
    expect(readTimeZone('Europe/London')).toBe('Europe/London');
    expect(readTimeZone('london')).toBe('Europe/London');
    expect(readTimeZone('New York')).toBe('America/New_York');
    expect(readTimeZone('Pacific time')).toBe('America/Los_Angeles');
    expect(readTimeZone('Atlantis')).toBeNull();
  });
});

describe('SMS segments', () => {
  it('counts GSM-7 and Unicode texts the way carriers do', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
    expect(smsSegments('a'.repeat(306))).toBe(2);
    expect(smsSegments('é'.repeat(160))).toBe(1);
    expect(smsSegments('ā'.repeat(70))).toBe(1);
    expect(smsSegments('ā'.repeat(71))).toBe(2);
    // An emoji is two UTF-16 units.
    expect(smsSegments('😀'.repeat(35))).toBe(1);
    expect(smsSegments('😀'.repeat(36))).toBe(2);
    expect(smsSegments('{'.repeat(80))).toBe(1);
    expect(smsSegments('{'.repeat(81))).toBe(2);
  });
});
