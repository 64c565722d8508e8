import { connectNats, natsServers } from '@app/messaging';

/**
 * NATS_URL with the credentials a deployer gives nats-server as they are: a base64 password (`/`, `+`, `=`) is no
 * URL's userinfo, but it is the password; and it never reaches a message, whatever the URL.
 */
describe('NATS_URL', () => {
  it('takes a password with "/", "+" and "=" as it is, and keeps it out of the servers', () => {
    expect(natsServers('nats://engine:Ab3/x+Yz=@nats-1:4222,nats://nats-2:4222')).toEqual({
      servers: ['nats://nats-1:4222', 'nats://nats-2:4222'],
      user: 'engine',
      pass: 'Ab3/x+Yz=',
    });
    expect(natsServers('nats://engine:p%40ss@nats:4222')).toMatchObject({
      servers: ['nats://nats:4222'],
      pass: 'p@ss',
    });
    expect(natsServers('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
  });

  it('never puts the password in the error an app stops with', async () => {
    const password = 'Ab3/x+Yz=';
    const message = await connectNats(`nats://engine:${password}@127.0.0.1:1`, 'nats-servers-test').then(
      async (connection) => {
        await connection.close();
        return 'connected';
      },
      (error: Error) => error.message,
    );
    expect(message).toContain('nats://127.0.0.1:1 does not answer');
    expect(message).not.toContain(password);
  });
});
