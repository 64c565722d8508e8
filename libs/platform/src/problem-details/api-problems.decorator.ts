import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** One refused field of a `400 VALIDATION_FAILED`. */
export class FieldErrorView {
  @ApiProperty({ description: 'Dotted path of the field in the body or query, or a header or path parameter' })
  field!: string;
  @ApiProperty() message!: string;
}

/** RFC 9457 Problem Details as the OpenAPI description shows them; extensions (e.g. `activePaymentId`) vary by code. */
export class ProblemDetailsView {
  @ApiProperty({ enum: ['about:blank'], description: 'Always `about:blank`: `code` says which problem it is' })
  type!: string;
  @ApiProperty({ description: "The status's reason phrase", example: 'Conflict' }) title!: string;
  @ApiProperty({ type: 'integer', example: 409 }) status!: number;
  @ApiProperty({ description: 'Stable error code', example: 'TERMINAL_BUSY' }) code!: string;
  @ApiProperty({ example: 'Terminal T-1 is busy with payment 6f0c…' }) detail!: string;
  @ApiProperty({ required: false, example: '/v1/terminal-payments' }) instance?: string;
  @ApiProperty({ required: false, type: [FieldErrorView], description: 'With `VALIDATION_FAILED`: each refused field' })
  errors?: FieldErrorView[];
}

/** The error answers of an API, each with the codes it can carry, as sent: `application/problem+json`. */
export function ApiProblems(codes: Readonly<Record<number, string>>): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsView, FieldErrorView),
    ...Object.entries(codes).map(([status, description]) =>
      ApiResponse({
        status: Number(status),
        description,
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsView) } } },
      }),
    ),
  );
}
