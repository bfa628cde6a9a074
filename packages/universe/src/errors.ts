/** Cosmos errors: `{type, message, data}` bodies with Cosmos' class names as `type`. */
import type { CosmosErrorBody } from "@caravel/api";

/** An error a Cosmos client sees; `type` is one of Cosmos' error class names. */
export class CosmosError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CosmosError";
  }

  toBody(): CosmosErrorBody {
    return { type: this.type, message: this.message, ...(this.data === undefined ? {} : { data: this.data }) };
  }
}
