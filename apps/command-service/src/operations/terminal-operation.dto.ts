import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { TERMINAL_OPERATIONS, type TerminalOperationName } from '@app/payment-domain';

/** A terminal operation a POS asks for: Dintero's `end_of_day`, `send_logs` or `check_update`. */
export class StartTerminalOperationDto {
  @ApiProperty({ enum: TERMINAL_OPERATIONS, example: 'end_of_day' })
  @IsIn(TERMINAL_OPERATIONS, { message: `operation must be one of ${TERMINAL_OPERATIONS.join(', ')}` })
  operation!: TerminalOperationName;

  @ApiPropertyOptional({ example: 'cashier-7', description: "Who runs it at the terminal (Dintero's operator_id)" })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,100}$/, { message: 'operatorId must be 1-100 printable characters without spaces' })
  operatorId?: string;
}
