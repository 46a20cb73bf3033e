import { directLineUserId } from 'src/directline/directline-user';
import { USER_ID_PATTERN } from 'src/directline/dto/token-query.dto';

describe('directLineUserId', () => {
  it('should put authenticated and asserted users in two namespaces', () => {
    expect(directLineUserId({ kind: 'authenticated', auraId: 'q3Xv9k' })).toBe('dl_a_q3Xv9k');
    expect(directLineUserId({ kind: 'asserted', userId: 'q3Xv9k' })).toBe('dl_u_q3Xv9k');
  });

  it('should never give an asserted userId the id of an authenticated auraId, whatever it spells', () => {
    const auraId = 'q3Xv9k';
    const authenticated = directLineUserId({ kind: 'authenticated', auraId });
    for (const userId of [auraId, `a_${auraId}`, `dl_a_${auraId}`, `_a_${auraId}`, `u_a_${auraId}`]) {
      expect(USER_ID_PATTERN.test(userId)).toBe(true);
      const asserted = directLineUserId({ kind: 'asserted', userId });
      expect(asserted).not.toBe(authenticated);
      expect(asserted.startsWith('dl_a_')).toBe(false);
    }
  });
});
