import { queryOf, REDACTED } from './redact-query';

describe('the query parameters of a record', () => {
  it('keeps ordinary values and redacts those of secret-looking keys', () => {
    expect(
      queryOf(
        '/v1/things?limit=5&api_key=abc&token=t0k&password=hunter2&X-Amz-Signature=f00&access_token=x&invite=i&tag=a&tag=b',
      ),
    ).toEqual({
      limit: '5',
      api_key: REDACTED,
      token: REDACTED,
      password: REDACTED,
      'X-Amz-Signature': REDACTED,
      access_token: REDACTED,
      // An invitation link's token lets its holder join a workspace.
      invite: REDACTED,
      tag: ['a', 'b'],
    });
  });

  it('is empty without a query, and bounded for a hostile one', () => {
    expect(queryOf('/v1/me')).toEqual({});
    const huge = queryOf(`/v1/me?${Array.from({ length: 500 }, (_, i) => `k${i}=${'v'.repeat(1000)}`).join('&')}`);
    expect(Object.keys(huge)).toHaveLength(50);
    expect(huge.k0).toHaveLength(200);
  });

  it('takes a key named __proto__ as a plain key', () => {
    const query = queryOf('/v1/me?__proto__=x');
    expect(Object.keys(query)).toEqual(['__proto__']);
  });
});
