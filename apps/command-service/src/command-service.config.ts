import { Expose } from 'class-transformer';
import { IsNotEmpty, IsString, IsUrl } from 'class-validator';
import { BaseAppConfig, EnvInt, withDintero, withEventStore, withNats } from '@app/platform';

const url = { require_tld: false, require_protocol: true };

export const COMMAND_CONFIG = Symbol('COMMAND_CONFIG');

export class CommandServiceConfig extends withDintero(withNats(withEventStore(BaseAppConfig))) {
  override readonly port: number = 3000;

  /** The payment profile with Seitatech in-person payments enabled (§2). */
  @Expose({ name: 'DINTERO_PROFILE_ID' })
  @IsString()
  @IsNotEmpty()
  readonly dinteroProfileId: string = 'in-store';

  /** `url.return_url` is required by Dintero's schema even for terminal sessions (§2). */
  @Expose({ name: 'DINTERO_RETURN_URL' })
  @IsUrl(url)
  readonly returnUrl: string = 'http://127.0.0.1:3000/v1/return';

  /** How long the customer has at the terminal: the session's `expires_at`. */
  @EnvInt('SESSION_TTL_SECONDS', { min: 10, max: 3_600 })
  readonly sessionTtlSeconds: number = 120;

  /** How long after the session's expiry a terminal claim lapses by itself, for the reconciler to settle first. */
  @EnvInt('CLAIM_MARGIN_SECONDS', { min: 0, max: 3_600 })
  readonly claimMarginSeconds: number = 60;

  /**
   * The POS clients and the hashes of their API keys (JSON; `npm run pos-key` makes entries). Required:
   * the service does not run without credentials.
   */
  @Expose({ name: 'POS_CLIENTS_FILE' })
  @IsString({ message: 'POS_CLIENTS_FILE must name the POS API key file (see README: POS credentials)' })
  @IsNotEmpty({ message: 'POS_CLIENTS_FILE must name the POS API key file (see README: POS credentials)' })
  readonly posClientsFile!: string;
}
