import fc from 'fast-check';
import { CommonError } from 'src/common/errors/common.errors';
import { loadConfig } from 'src/config/app-config';
import { UsersSettings } from 'src/users/users.settings';
import { PhoneNumbers } from 'src/users/phone-numbers';

describe('PhoneNumbers', () => {
  const spain = new PhoneNumbers(loadConfig({ PHONE_DEFAULT_REGION: 'ES' }).get(UsersSettings));

  it.each(['+34 600 00 00 00', '0034600000000', '600000000', '+34600000000', '+34 (600) 00-00.00'])(
    'should read %s as +34600000000 in region ES',
    (written) => {
      expect(spain.tryNormalize(written)).toBe('+34600000000');
    },
  );

  it('should read national numbers in the configured region', () => {
    const brazil = new PhoneNumbers(loadConfig({ PHONE_DEFAULT_REGION: 'BR' }).get(UsersSettings));
    expect(brazil.tryNormalize('(11) 96123-4567')).toBe('+5511961234567');
    expect(brazil.tryNormalize('+34 600 00 00 00')).toBe('+34600000000');
  });

  it.each([
    '',
    '12',
    '+34 600',
    '600abc000',
    '+999 600000000',
    '6'.repeat(40),
    "600000000'--",
    '٦٠٠٠٠٠٠٠٠',
    'tel:+34600000000',
  ])('should refuse %j', (written) => {
    expect(spain.tryNormalize(written)).toBeUndefined();
  });

  it('should name the field, and never the value, when refusing', () => {
    let refused: unknown;
    try {
      spain.normalize('+34 612 98', 'phone_number');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CommonError);
    const problem = refused as CommonError;
    expect(problem.status).toBe(400);
    expect(problem.extensions.errors).toEqual([
      { field: 'phone_number', message: expect.stringContaining('phone_number') },
    ]);
    expect(JSON.stringify(problem.extensions) + problem.detail).not.toMatch(/612/);
  });

  it('should leave a normalised number unchanged when normalised again', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[67][0-9]{8}$/), (national) => {
        const normalized = spain.tryNormalize(national);
        return normalized === undefined || spain.tryNormalize(normalized) === normalized;
      }),
    );
  });
});
