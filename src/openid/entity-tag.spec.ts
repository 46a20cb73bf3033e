import { ifNoneMatchMatches, strongEntityTag } from 'src/openid/entity-tag';

describe('entity tags', () => {
  const etag = strongEntityTag('{"keys":[]}');

  it('should make a strong, quoted tag that changes with the body', () => {
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(strongEntityTag('{"keys":[1]}')).not.toBe(etag);
  });

  it.each([
    ['the tag itself', etag],
    ['its weak form', `W/${etag}`],
    ['a list holding it', `"other", ${etag}`],
    ['a list holding its weak form without spaces', `W/"other",W/${etag}`],
    ['the wildcard', '*'],
  ])('should match %s', (_name, header) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['another tag', '"other"'],
    ['the tag without quotes', etag.slice(1, -1)],
    ['a weak tag of another value', 'W/"other"'],
    ['an empty header', ''],
  ])('should not match %s', (_name, header) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(false);
  });
});
