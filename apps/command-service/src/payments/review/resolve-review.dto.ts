import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength, Matches } from 'class-validator';
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
}
