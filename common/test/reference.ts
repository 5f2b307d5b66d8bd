// Loads rucio-reference.json: expected values computed by running Rucio's own code
// (see fixtures/gen_rucio_reference.py, which reads Rucio's source from the git mirror).
import { readFileSync } from 'node:fs';

/** An RSE of the reference catalogue. */
export interface ReferenceRse {
  id: string;
  rse: string;
  attributes: Record<string, string | boolean>;
}

/** The fixture file's content. */
export interface RucioReference {
  generatedFrom: string;
  rses: ReferenceRse[];
  rseExpressions: { expr: string; rses?: string[]; error?: string; message?: string }[];
  filterStrings: {
    input: string;
    name: string;
    omitName: boolean;
    filters?: Record<string, string>[];
    error?: string;
  }[];
  typecast: { input: string; type: string; value: unknown }[];
  extractScope: { did: string; scope?: string; name?: string; error?: string }[];
  paths: { scope: string; name: string; hash: string; identity: string }[];
  python: {
    strRepr: { value: string; repr: string }[];
    floatRepr: { value: number; repr: string }[];
    literals: { text: string; value: unknown }[];
    badLiterals: { text: string; python?: string; python_error?: string }[];
    float: { input: string; value?: number | string | null; error?: boolean }[];
    urlencode: { params: [string, string][]; query: string }[];
  };
  adler32: { pattern: 'mul31' | 'ff'; length: number; adler32: string }[];
}

/** The reference data (read once). */
export const reference: RucioReference = JSON.parse(
  readFileSync(new URL('../../test/fixtures/rucio-reference.json', import.meta.url), 'utf8'),
);
