export { DINTERO_CLIENT } from '@app/dintero';

export const COMMAND_CONFIG = Symbol('COMMAND_CONFIG');
