/**
 * Tests run side by side rather than one after another, for tests that each wait out something (a session, a lease)
 * and do not get in each other's way: the describe that calls this starts every body in its beforeAll, and each test
 * awaits its own, so a failure is that test's, not an unhandled rejection. The describe's tests after them, or a
 * describe after it, run once they are all over.
 */
export function sideBySide(): (name: string, body: () => Promise<void>) => void {
  const bodies = new Map<string, () => Promise<void>>();
  const running = new Map<string, Promise<void>>();
  beforeAll(() => {
    for (const [name, body] of bodies) {
      const run = body();
      run.catch(() => undefined);
      running.set(name, run);
    }
  });
  return (name, body) => {
    if (bodies.has(name)) throw new Error(`two tests named ${name}`);
    bodies.set(name, body);
    it(name, () => {
      const run = running.get(name);
      if (!run) throw new Error(`${name} was not started`);
      return run;
    });
  };
}
