/** One place for the CommonJS interop of ajv-draft-04 under NodeNext (its class is `.default`). */
import AjvDraft04 from "ajv-draft-04";
import type { ValidateFunction } from "ajv";

type AjvCtor = typeof AjvDraft04.default;
const Ctor: AjvCtor = (AjvDraft04 as unknown as { default?: AjvCtor }).default ?? (AjvDraft04 as unknown as AjvCtor);

/** A draft-04 validator factory: all errors, lenient about unknown keywords and formats. */
export function newAjv(): InstanceType<AjvCtor> {
  return new Ctor({ allErrors: true, strict: false, validateFormats: false, validateSchema: false });
}

export type { ValidateFunction };
