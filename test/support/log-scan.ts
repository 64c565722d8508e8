/** A log line that gives away what no log may hold. */
export interface LogLeak {
  readonly app: string;
  readonly what: string;
  readonly line: string;
}

const BEARER = /bearer\s+[A-Za-z0-9._~+/=-]{8,}/i;
const DIGIT_RUN = /(?<!\d)\d{13,19}(?!\d)/g;
/** Fields of pino's own that are long numbers and not data: the time in ms, the process id. */
const OWN_FIELDS = ['time', 'pid'];

/** The Luhn check every card number passes (and only one random number in ten). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/** A run of 13 to 19 digits that starts as card numbers do (3: Amex, Diners; 4: Visa; 5, 2: Mastercard; 6) and passes Luhn. */
function cardNumberIn(text: string): string | undefined {
  return [...text.matchAll(DIGIT_RUN)].map((match) => match[0]).find((run) => /^[2-6]/.test(run) && passesLuhn(run));
}

function withoutOwnFields(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    for (const field of OWN_FIELDS) delete entry[field];
    return JSON.stringify(entry);
  } catch {
    return line;
  }
}

/**
 * Every line of these apps' output that holds one of the secrets (by name), an `Authorization: Bearer …`
 * value, or something that looks like a full card number.
 */
export function scanLogs(
  outputs: readonly { readonly app: string; readonly output: string }[],
  secrets: Readonly<Record<string, string>>,
): LogLeak[] {
  const leaks: LogLeak[] = [];
  for (const { app, output } of outputs) {
    for (const line of output.split('\n')) {
      for (const [name, secret] of Object.entries(secrets))
        if (secret && line.includes(secret)) leaks.push({ app, what: name, line });
      if (BEARER.test(line)) leaks.push({ app, what: 'a bearer token', line });
      const card = cardNumberIn(withoutOwnFields(line));
      if (card) leaks.push({ app, what: `a card number (${card.slice(0, 6)}…)`, line });
    }
  }
  return leaks;
}
