/** The one error the engine throws: a stable `code`, a readable `message`, and `details`. */
export class HandoffError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = "HandoffError";
    this.code = code;
    this.details = details;
  }
}
