import { ApiProperty } from '@nestjs/swagger';

/**
 * The terminal's references for a transaction (a payment's or a refund's) and the receipts it wrote, for the till
 * to print. Each receipt text is as the terminal wrote it (lines separated by newlines); a second part, when the
 * terminal wrote one, is given on its own (`…Part2`), to print after the first: Dintero does not say how the two join.
 */
export class ReceiptView {
  @ApiProperty({ required: false, example: '6f1c2a9e', description: "The terminal's transaction id" })
  terminalTransactionId?: string;
  @ApiProperty({ required: false, example: '000123', description: 'The receipt number, unique per terminal' })
  receiptNumber?: string;
  @ApiProperty({ required: false, description: "The customer's copy of the receipt" }) customerReceipt?: string;
  @ApiProperty({ required: false, description: "The second part of the customer's copy, when there is one" })
  customerReceiptPart2?: string;
  @ApiProperty({ required: false, description: "The merchant's copy of the receipt" }) merchantReceipt?: string;
  @ApiProperty({ required: false, description: "The second part of the merchant's copy, when there is one" })
  merchantReceiptPart2?: string;
}
