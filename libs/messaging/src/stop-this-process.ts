/**
 * Stops this process as SIGTERM does, cleanly, with exit code 1 so that its supervisor sees a fault: for a process
 * that finds it cannot go on (its NATS connection closed for good, a start refused at a later try). The SIGTERM is
 * sent once the app listens for it (`closeAndExitOnStopRequest`, set up once the app listens): sent while the app, or
 * `apps/engine`'s next app, was still starting, it met no handler, and Node ended the process at once, killed by the
 * signal, nothing closed.
 */
export function stopThisProcess(): void {
  process.exitCode = 1;
  const stop = () => void process.kill(process.pid, 'SIGTERM');
  if (process.listenerCount('SIGTERM') > 0) return stop();
  const untilHandled = (event: string | symbol) => {
    if (event !== 'SIGTERM') return;
    process.off('newListener', untilHandled);
    // Said before the handler is added: sent once it is.
    setImmediate(stop);
  };
  process.on('newListener', untilHandled);
}
