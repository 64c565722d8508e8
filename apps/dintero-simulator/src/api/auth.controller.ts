import { randomBytes } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Param, Post, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { dinteroAudience } from '@app/dintero';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorState } from '../state/simulator-state';
import { dinteroValidation } from './api-guards';
import { TokenRequestDto } from './dintero-api.dto';
import { ApiDinteroErrors, DinteroApiError } from './dintero-api.error';

@ApiTags('dintero auth api')
@ApiDinteroErrors({
  400: 'Not a client-credentials grant',
  401: 'Unknown client or wrong secret',
  403: 'The client may not use this account',
})
@Controller('v1/accounts/:accountId/auth/token')
@UsePipes(dinteroValidation)
export class AuthController {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
  ) {}

  /**
   * Client credentials over HTTP Basic; the audience must be exactly the account as Dintero documents it,
   * `https://api.dintero.com/v1/accounts/{aid}`. Tokens are opaque here, not JWTs.
   */
  @Post()
  @HttpCode(200)
  token(
    @Param('accountId') accountId: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: TokenRequestDto,
  ) {
    const [user, password] = Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    if (
      !authorization?.startsWith('Basic ') ||
      user !== this.config.clientId ||
      password !== this.config.clientSecret
    ) {
      throw new DinteroApiError(401, 'UNAUTHORIZED', 'Invalid client credentials');
    }
    if (accountId !== this.config.accountId || body.audience !== dinteroAudience(this.config.accountId)) {
      throw new DinteroApiError(403, 'FORBIDDEN', 'The audience is not a grant of this client');
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.state.tokens.set(accessToken, Date.now() + this.config.tokenTtlSeconds * 1000);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.config.tokenTtlSeconds };
  }
}
