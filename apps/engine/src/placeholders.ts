/**
 * What `.env.example` puts where a secret or a setting of the deployment goes: `change-me…`, a whole value or a
 * whole part of a URL (NATS_URL's password), never a word that merely holds it (`exchange-media`).
 */
const PLACEHOLDER = /(^|[:/@])change-me(-[a-z0-9-]*)?($|[:/@?])/i;

/**
 * The variables that still hold a placeholder of `.env.example` (in a URL too: NATS_URL carries the NATS password),
 * each named with what to do. A placeholder is public (it is in the repository), so a secret left at it is no
 * secret: a deployment that starts with one is refused, not warned about.
 */
export function placeholdersLeft(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([, value]) => value !== undefined && PLACEHOLDER.test(value))
    .map(([name]) => name)
    .sort()
    .map((name) => `${name} still holds the placeholder of .env.example: set it in .env`);
}
