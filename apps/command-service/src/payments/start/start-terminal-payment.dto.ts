import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { DINTERO_MAX_AMOUNT } from '@app/dintero';
import { IsNameToken, IsRequired } from '@app/platform';
import { currencyInEitherCase } from '../currency-code';

/**
 * Dintero's metadata rules (its specification's `StringMetadata`): string values, keys of at most 128
 * characters and values of at most 256, every key prefixed `ext_`. The POS may leave the prefix out: the
 * engine adds it on the way (see `dinteroMetadata`), so a key is at most 124 characters before it.
 */
export const MAX_METADATA_ENTRIES = 20;
const METADATA_KEY = /^[A-Za-z0-9_.:-]{1,124}$/;

function IsDinteroMetadata(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDinteroMetadata',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_METADATA_ENTRIES &&
          Object.entries(value).every(
            ([key, entry]) =>
              METADATA_KEY.test(key.replace(/^ext_/, '')) && typeof entry === 'string' && entry.length <= 256,
          ) &&
          // `till` and `ext_till` are one key at Dintero: one of them would be lost.
          Object.keys(dinteroMetadata(value as Record<string, string>)).length === Object.keys(value).length,
        defaultMessage: () =>
          `$property must be at most ${MAX_METADATA_ENTRIES} entries, each key letters, digits, _ . : - ` +
          '(at most 124 characters without the ext_ prefix, and no two keys the same with it, as till and ext_till)' +
          ' and each value a string of at most 256 characters',
      },
    },
    options,
  );
}

/** The POS's metadata as Dintero takes it: every key prefixed `ext_` (Dintero reserves the others). */
export function dinteroMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(metadata).map(([key, value]) => [key.startsWith('ext_') ? key : `ext_${key}`, value]),
  );
}

export class StartTerminalPaymentDto {
  @ApiProperty({ example: 'oslo-center' })
  @IsNameToken()
  storeId!: string;

  @ApiProperty({ example: 'T-1' })
  @IsNameToken()
  terminalId!: string;

  /** Minor units: 39900 is 399.00 NOK; at most what Dintero takes (`DINTERO_MAX_AMOUNT`). */
  @ApiProperty({
    type: 'integer',
    example: 39_900,
    minimum: 1,
    maximum: DINTERO_MAX_AMOUNT,
    description: 'In minor units: 39900 is 399.00 NOK. At most 2147483647, the largest amount Dintero takes',
  })
  @IsRequired()
  @IsInt()
  @Min(1)
  @Max(DINTERO_MAX_AMOUNT)
  amount!: number;

  @ApiProperty({
    example: 'NOK',
    description: 'ISO 4217 code, in either case: "nok" is NOK (the payment is recorded and answered in upper case)',
    pattern: '^[A-Za-z]{3}$',
  })
  @IsRequired()
  // As a refund's: ISO 4217 codes are upper case, and a POS that keeps them in lower case ("nok") means the same
  // currency. Upper-cased here, at the edge (HTTP and NATS take this DTO), so that the domain, the store's accepted
  // currencies and Dintero see the code as ISO writes it; one that is no code after that is refused (`400`).
  @Transform(currencyInEitherCase)
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code of three letters, e.g. NOK' })
  currency!: string;

  @ApiProperty({ example: 'POS-123' })
  @IsRequired()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  merchantReference!: string;

  @ApiProperty({
    required: false,
    example: { till: '3' },
    description:
      'Up to 20 string entries for Dintero (key ≤ 124 characters, value ≤ 256); keys reach Dintero prefixed `ext_`',
  })
  @IsOptional()
  @IsObject()
  @IsDinteroMetadata()
  metadata?: Record<string, string>;
}
