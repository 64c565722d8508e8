import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** RFC 9457 Problem Details as the OpenAPI description shows them; extensions (e.g. `activePaymentId`) vary by code. */
export class ProblemDetailsView {
  @ApiProperty({ example: 'https://github.com/dintero-terminal-payments/errors#terminal_busy' }) type!: string;
  @ApiProperty({ example: 'terminal busy' }) title!: string;
  @ApiProperty({ example: 409 }) status!: number;
  @ApiProperty({ description: 'Stable error code', example: 'TERMINAL_BUSY' }) code!: string;
  @ApiProperty({ example: 'Terminal T-1 is busy with payment 6f0c…' }) detail!: string;
  @ApiProperty({ required: false, example: '/v1/terminal-payments' }) instance?: string;
}

/** The error answers of an API, each with the codes it can carry. */
export function ApiProblems(codes: Readonly<Record<number, string>>): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ...Object.entries(codes).map(([status, description]) =>
      ApiResponse({ status: Number(status), type: ProblemDetailsView, description }),
    ),
  );
}
