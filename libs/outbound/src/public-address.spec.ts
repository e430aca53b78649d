import { publicAddressOf, type ResolveHost } from './public-address';

const resolvingTo =
  (...addresses: string[]): ResolveHost =>
  async () =>
    addresses;

describe('publicAddressOf', () => {
  it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '100.64.0.1', 'fd00::1', '::ffff:10.0.0.1'])(
    'refuses a name resolving to %s',
    async (address) => {
      await expect(publicAddressOf('hooks.example.com', { resolve: resolvingTo(address) })).rejects.toMatchObject({
        code: 'validation_failed',
        details: [{ path: 'url', reason: 'private_address' }],
      });
    },
  );

  it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '[::1]', 'localhost'])(
    'refuses the host %s written in the URL, without asking DNS',
    async (host) => {
      const resolve = jest.fn(resolvingTo('93.184.215.14'));
      await expect(publicAddressOf(host, { resolve })).rejects.toMatchObject({ code: 'validation_failed' });
      expect(resolve).not.toHaveBeenCalled();
    },
  );

  it('refuses a name when any of its addresses is internal', async () => {
    await expect(
      publicAddressOf('hooks.example.com', { resolve: resolvingTo('93.184.215.14', '10.0.0.1') }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('gives the public address checked, to connect to it and nowhere else', async () => {
    await expect(publicAddressOf('hooks.example.com', { resolve: resolvingTo('93.184.215.14') })).resolves.toBe(
      '93.184.215.14',
    );
  });

  it('lets loopback through only when allowed, and nothing else internal', async () => {
    await expect(publicAddressOf('127.0.0.1', { allowLoopback: true })).resolves.toBe('127.0.0.1');
    await expect(publicAddressOf('[::1]', { allowLoopback: true })).resolves.toBe('::1');
    await expect(publicAddressOf('10.0.0.1', { allowLoopback: true })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('says a name that does not resolve is unavailable, with the caller’s reason', async () => {
    const resolve: ResolveHost = () => Promise.reject(new Error('ENOTFOUND'));
    await expect(
      publicAddressOf('nowhere.example', { resolve, unresolvedReason: 'git_unreachable' }),
    ).rejects.toMatchObject({ code: 'unavailable', details: [{ path: 'url', reason: 'git_unreachable' }] });
  });
});
