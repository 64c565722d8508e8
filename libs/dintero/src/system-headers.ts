/** The engine's name and version as Dintero's `Dintero-System-*` headers give them (kept with package.json's). */
export const ENGINE_SYSTEM = { name: 'dintero-terminal-payments', version: '0.1.0' } as const;

/**
 * The optional headers Dintero recommends on every request to its Checkout API, naming the system that sends
 * it, so that Dintero's support can tell the engine's calls from other systems' on the same account.
 */
export const DINTERO_SYSTEM_HEADERS: Readonly<Record<string, string>> = {
  'dintero-system-name': ENGINE_SYSTEM.name,
  'dintero-system-version': ENGINE_SYSTEM.version,
};
