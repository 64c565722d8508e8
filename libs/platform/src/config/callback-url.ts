import { registerDecorator, type ValidationArguments } from 'class-validator';
import ipaddr from 'ipaddr.js';

/**
 * Dintero delivers callbacks only to HTTPS URLs it can reach: not `localhost`, `127.0.0.1` or another private
 * address (Dintero's session spec, `CallbackUrl`). A callback URL that Dintero's checkout refuses or cannot reach
 * loses every callback without an error, so the engine would hear of a payment only from its webhooks and
 * reconciler. When `checkoutUrlProperty` names Dintero itself (a host under dintero.com), the decorated URL must be
 * one Dintero can call back; against the simulator anything goes.
 */
export function IsCallbackUrlFor(checkoutUrlProperty: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCallbackUrlFor',
      target: target.constructor,
      propertyName,
      constraints: [checkoutUrlProperty],
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const checkout = Reflect.get(args.object, checkoutUrlProperty) as unknown;
          if (typeof value !== 'string' || typeof checkout !== 'string' || !isDintero(checkout)) return true;
          return reachableOverHttps(value);
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an https URL that Dintero can reach (not localhost or a private address), ` +
          `since the Checkout URL is Dintero's: Dintero delivers callbacks only to such URLs`,
      },
    });
}

function isDintero(url: string): boolean {
  const host = parsed(url)?.hostname.toLowerCase();
  return host !== undefined && (host === 'dintero.com' || host.endsWith('.dintero.com'));
}

function reachableOverHttps(url: string): boolean {
  const callback = parsed(url);
  if (!callback) return true; // not a URL at all: `@IsUrl` says so
  return callback.protocol === 'https:' && !isPrivateHost(callback.hostname.replace(/^\[|\]$/g, '').toLowerCase());
}

function parsed(url: string): URL | undefined {
  return URL.canParse(url) ? new URL(url) : undefined;
}

/** Names that stay on the machine, and addresses Dintero cannot reach from the internet (ipaddr.js's ranges). */
function isPrivateHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  // process() reads an IPv4 address mapped into IPv6 (::ffff:127.0.0.1) as the IPv4 one it is.
  return ipaddr.isValid(host) && ipaddr.process(host).range() !== 'unicast';
}
