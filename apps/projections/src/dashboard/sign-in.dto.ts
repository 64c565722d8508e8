import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class SignInDto {
  @ApiProperty({ description: 'An operator key (`npm run operator-key` makes one)', example: 'op_…' })
  @IsString()
  @Matches(/^[\x21-\x7e]{1,512}$/, { message: 'key: an operator key (1-512 printable characters, no spaces)' })
  key!: string;
}

/** Who is signed in, and what the page needs to know to show them their stores. */
export class SessionView {
  @ApiProperty() operatorId!: string;
  @ApiProperty({ description: 'The stores the operator may see, or `*` for every store', example: ['bergen'] })
  stores!: string[] | '*';
  @ApiProperty({ description: 'When the session ends (absent for a key sent as a bearer token)', required: false })
  expiresAt?: string;
  @ApiProperty({
    type: 'integer',
    description: 'Seconds a terminal may prompt or refund before it is listed as a problem',
  })
  stuckAfterSeconds!: number;
}
