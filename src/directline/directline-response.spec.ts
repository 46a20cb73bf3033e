import { DirectLineFailure } from 'src/directline/directline-failure';
import { DirectLineConversation, DirectLineToken, validateDirectLineBody } from 'src/directline/directline-response';

/** The conversation of the GVP seed, shortened. */
const CONVERSATION = {
  conversationId: 'AXCifkJXwYkEjDkxWgA4gw',
  token: 'ew0KICAiYWxnIjogIlJTMjU2In0.ew0KICAiYm90IjogIkJPVC1hdXJhIn0.NIQfSRXW_EoRGkRDIuHoo87Jf0CD5QF4l5xu8lnPBc2T',
  expires_in: 3600,
  streamUrl:
    'wss://directline.botframework.com/v3/directline/conversations/AXCifkJXwYkEjDkxWgA4gw-a/stream?watermark=&t=ew0K',
  referenceGrammarId: '4fcf85f0-4838-b45f-8290-6619774f88a8',
};
const TLS_ONLY = { plainWebSocketAllowed: false };

function failureOf(run: () => unknown): DirectLineFailure | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error as DirectLineFailure;
  }
}

describe('validateDirectLineBody', () => {
  it('should accept the conversation shape Direct Line documents', () => {
    const conversation = validateDirectLineBody(DirectLineConversation, CONVERSATION, TLS_ONLY);
    expect(conversation).toEqual(CONVERSATION);
  });

  it('should accept a generated token and drop members it does not know', () => {
    const token = validateDirectLineBody(
      DirectLineToken,
      { conversationId: 'abc', token: 'abc.def.ghi', expires_in: 1800, debug: { internal: true } },
      TLS_ONLY,
    );
    expect(token).toEqual({ conversationId: 'abc', token: 'abc.def.ghi', expires_in: 1800 });
  });

  it.each<[string, unknown]>([
    ['an array', [CONVERSATION]],
    ['null', null],
    ['a string', 'token'],
    ['a missing token', { ...CONVERSATION, token: undefined }],
    ['a numeric token', { ...CONVERSATION, token: 12 }],
    ['a token with spaces', { ...CONVERSATION, token: 'abc def' }],
    ['an oversized token', { ...CONVERSATION, token: 'a'.repeat(8193) }],
    ['a fractional lifetime', { ...CONVERSATION, expires_in: 1.5 }],
    ['a lifetime as text', { ...CONVERSATION, expires_in: '3600' }],
    ['a negative lifetime', { ...CONVERSATION, expires_in: -1 }],
    ['no stream URL', { ...CONVERSATION, streamUrl: undefined }],
    ['an https stream URL', { ...CONVERSATION, streamUrl: 'https://directline.botframework.com/stream' }],
    ['a plain ws stream URL over TLS', { ...CONVERSATION, streamUrl: 'ws://directline.botframework.com/stream' }],
    ['an object as conversation id', { ...CONVERSATION, conversationId: { id: 1 } }],
    ['an oversized eTag', { ...CONVERSATION, eTag: 'e'.repeat(257) }],
  ])('should refuse a conversation with %s', (_case, body) => {
    const failure = failureOf(() => validateDirectLineBody(DirectLineConversation, body, TLS_ONLY));
    expect(failure).toBeInstanceOf(DirectLineFailure);
    expect(failure?.kind).toBe('bad_response');
  });

  it('should accept a plain ws stream URL when Direct Line is reached over plain http', () => {
    const body = { ...CONVERSATION, streamUrl: 'ws://127.0.0.1:3980/v3/directline/conversations/x/stream?t=abc' };
    expect(validateDirectLineBody(DirectLineConversation, body, { plainWebSocketAllowed: true }).streamUrl).toBe(
      body.streamUrl,
    );
  });

  it('should not echo the upstream values in its failure message', () => {
    const failure = failureOf(() =>
      validateDirectLineBody(DirectLineConversation, { ...CONVERSATION, token: 'leaked secret value' }, TLS_ONLY),
    );
    expect(failure?.message).toContain('token');
    expect(failure?.message).not.toContain('leaked');
  });
});
