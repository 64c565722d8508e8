/**
 * Calls `stop` once, on the first request to stop: SIGTERM or SIGINT (and `also`, SIGHUP say), or the end of the IPC
 * channel of the supervisor that started this process with one (`npm start`). A supervisor killed outright (SIGKILL,
 * the OOM killer) sends no signal, and its apps ran on, orphaned, holding their ports and the data folder; its
 * channel closes whenever it dies, however. The channel is unreferenced: it never keeps the process alive.
 */
export function onStopRequest(stop: (why: string) => void, also: readonly NodeJS.Signals[] = []): void {
  let asked = false;
  const once = (why: string) => {
    if (asked) return;
    asked = true;
    stop(why);
  };
  for (const signal of ['SIGTERM', 'SIGINT', ...also] as const) process.once(signal, () => once(signal));
  if (process.channel) {
    process.once('disconnect', () => once('its supervisor gone'));
    process.channel.unref();
  }
}

/**
 * On the first request to stop (`onStopRequest`): says so, closes what `close` closes, and exits 0, or the exit code
 * set already (1 when the process stopped itself for a fault, so that its supervisor sees one); 1 when it did not
 * close cleanly. An app run alone and the one-process engine stop alike.
 */
export function closeAndExitOnStopRequest(
  name: string,
  log: (message: string) => void,
  close: () => Promise<void>,
  also: readonly NodeJS.Signals[] = [],
): void {
  onStopRequest((why) => {
    log(`${name} stopping on ${why}`);
    close().then(
      () => process.exit(process.exitCode ?? 0),
      (error: unknown) => {
        console.error(`${name} did not stop cleanly`, error);
        process.exit(1);
      },
    );
  }, also);
}
