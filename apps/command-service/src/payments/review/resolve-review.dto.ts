import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength, MinLength, Matches } from 'class-validator';
import { MAX_NOTE_LENGTH } from '@app/payment-domain';

/** What the person did about a payment or refund handed to them for review. */
export class ResolveReviewDto {
  @ApiProperty({
    minLength: 1,
    maxLength: MAX_NOTE_LENGTH,
    example: 'Refunded the SEK capture in Dintero Backoffice, case 4711',
    description:
      'What the person did (1 to 500 characters, not blank): kept on the log with who said so. The same note again ' +
      'changes nothing',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_NOTE_LENGTH)
  // Blank is no word about what was done.
  @Matches(/\S/, { message: 'note must say what was done, not be blank' })
  note!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-06T10:15:00.000Z',
    description:
      "The flag dealt with: the review entry's `at`. Given, a flag recorded since (a new cause) is refused, 409 " +
      'REVIEW_CHANGED, rather than resolved by a retry of a request whose answer was lost. Left out, whichever stands, ' +
      'unless the same note by the same key was recorded on an earlier flag (409 REVIEW_CHANGED too): name it then',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  flaggedAt?: string;
}
