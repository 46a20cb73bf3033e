import { errorStatuses } from 'src/common/errors/error-statuses';

enum SampleCode {
  Missing = 'missing',
  Broken = 'broken',
}

describe('errorStatuses', () => {
  it('should answer the status of each code from the table', () => {
    const status = errorStatuses<SampleCode>({ [SampleCode.Missing]: 404, [SampleCode.Broken]: 503 });
    expect(status(SampleCode.Missing)).toBe(404);
    expect(status(SampleCode.Broken)).toBe(503);
  });

  it.each([200, 302, 600, 404.5])('should refuse a table with a status that is not an error status: %s', (bad) => {
    expect(() => errorStatuses<SampleCode>({ [SampleCode.Missing]: 404, [SampleCode.Broken]: bad })).toThrow('broken');
  });
});
