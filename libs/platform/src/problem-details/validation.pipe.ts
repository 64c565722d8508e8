import { ValidationPipe } from '@nestjs/common';
import { validationMessages } from '../config/validation-messages';
import { RequestValidationError } from './problem-details.filter';

/** class-validator for every DTO; unknown fields refused, so a typo is an error rather than ignored. */
export const requestValidation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new RequestValidationError(validationMessages(errors)),
});
