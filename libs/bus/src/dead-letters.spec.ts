import { headerValue } from './dead-letters';

describe('headerValue', () => {
  it('keeps a reason on one line, as NATS headers require', () => {
    expect(headerValue('Error: boom\n    at handler (app.ts:1)\r\n')).toBe('Error: boom at handler (app.ts:1)');
  });

  it('cuts a long reason short', () => {
    const value = headerValue('x'.repeat(5000));
    expect(value).toHaveLength(1024);
    expect(value.endsWith('…')).toBe(true);
  });
});
