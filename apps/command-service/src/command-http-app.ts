import type { HttpAppOptions } from '@app/platform';

/** The command service's HTTP identity, whether it runs alone (`main.ts`) or inside `apps/engine`. */
export const COMMAND_HTTP_APP: HttpAppOptions = {
  name: 'command-service',
  title: 'Command service',
  description: 'POS-facing API: start, follow, cancel and refund terminal payments; the store and terminal registry',
};
