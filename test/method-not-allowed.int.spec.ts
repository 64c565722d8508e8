import { randomUUID } from 'node:crypto';
import { startCommandService, type RunningCommandService } from './support/command-service';

/** A path an app serves, asked with a method it does not take: 405 with the methods it takes, as Problem Details. */
describe('a wrong method on a path the app serves', () => {
  let service: RunningCommandService;
  beforeAll(async () => {
    service = await startCommandService();
  });
  afterAll(() => service?.close());

  it.each([
    ['PUT', '/v1/terminal-payments', 'GET, HEAD, POST'],
    ['DELETE', `/v1/terminal-payments/${randomUUID()}`, 'GET, HEAD'],
    ['POST', '/metrics?x=1', 'GET, HEAD'],
  ])('%s %s is 405 with Allow: %s', async (method, route, allow) => {
    const response = await service.fetch(route, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      type: 'about:blank',
      title: 'Method Not Allowed',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      allowed: allow.split(', '),
      instance: route,
    });
  });

  it('leaves a path no route matches 404', async () => {
    const response = await service.fetch('/v1/no-such-thing', { method: 'PUT' });
    expect(response.status).toBe(404);
    expect(response.headers.get('allow')).toBeNull();
    expect(await response.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
