import { nestsDeeperThan } from 'src/common/http/json-body';

describe('nestsDeeperThan', () => {
  it('should measure the nesting of arrays and objects', () => {
    expect(nestsDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(nestsDeeperThan('['.repeat(5000) + ']'.repeat(5000), 32)).toBe(true);
  });

  it('should ignore brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ a: '[[[[{{{{"\\"[[[[' }), 2)).toBe(false);
  });
});
