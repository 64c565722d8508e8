import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** A difference from Dintero's specification that we keep on purpose, with the reason. */
export interface AllowedDifference {
  readonly schema: string;
  /** A regular expression over ajv's `instancePath` (JSON pointer), anchored at both ends. */
  readonly instancePath: string;
  readonly keyword: string;
  /** Those of ajv's `params` that must match, e.g. `{ "additionalProperty": "terminal_id" }`. */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly reason: string;
}

export interface Difference {
  readonly schema: string;
  /** What was checked: `POST /v1/transactions/{id}/refund request`, say. */
  readonly what: string;
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

const SCHEMAS = path.join(__dirname, 'schemas');

/**
 * Holds what we send to Dintero and what it (here, the simulator) answers against JSON Schemas written
 * from its published specification. A difference is either listed in the allow-list with its reason, or
 * reported; an allow-list entry that no longer matches anything is reported too, so the list stays true.
 */
export class SpecConformance {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true });
  private readonly used = new Set<AllowedDifference>();
  private readonly found = new Map<string, Difference>();
  readonly checked = new Map<string, number>();

  constructor(private readonly allowed: readonly AllowedDifference[]) {
    addFormats(this.ajv);
    for (const file of readdirSync(SCHEMAS).filter((name) => name.endsWith('.json')))
      this.ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMAS, file), 'utf8')) as object, file);
  }

  static fromFile(file: string): SpecConformance {
    return new SpecConformance(JSON.parse(readFileSync(file, 'utf8')) as AllowedDifference[]);
  }

  check(schema: string, what: string, value: unknown): void {
    const validate = this.ajv.getSchema(schema);
    if (!validate) throw new Error(`no schema ${schema}`);
    this.checked.set(schema, (this.checked.get(schema) ?? 0) + 1);
    if (validate(value)) return;
    for (const error of validate.errors ?? []) {
      const allowance = this.allowed.find((entry) => matches(entry, schema, error));
      if (allowance) this.used.add(allowance);
      else {
        // Once per kind of difference (the same field of many answers is one difference).
        const key = JSON.stringify([
          schema,
          error.instancePath.replace(/\/\d+(?=\/|$)/g, '/n'),
          error.keyword,
          error.params,
        ]);
        if (!this.found.has(key))
          this.found.set(key, {
            schema,
            what,
            instancePath: error.instancePath,
            keyword: error.keyword,
            params: error.params as Record<string, unknown>,
            message: error.message ?? '',
          });
      }
    }
  }

  /** The differences no allow-list entry covers, one of each kind. */
  get unexpected(): Difference[] {
    return [...this.found.values()];
  }

  /** Allow-list entries nothing matched: the difference is gone, or the entry is wrong. */
  unused(): AllowedDifference[] {
    return this.allowed.filter((entry) => !this.used.has(entry));
  }
}

function matches(entry: AllowedDifference, schema: string, error: ErrorObject): boolean {
  if (entry.schema !== schema || entry.keyword !== error.keyword) return false;
  if (!new RegExp(`^${entry.instancePath}$`).test(error.instancePath)) return false;
  const params = error.params as Record<string, unknown>;
  return Object.entries(entry.params ?? {}).every(([key, value]) => params[key] === value);
}
