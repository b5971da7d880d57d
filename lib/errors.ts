/**
 * The base of Berth's error classes. Every layer has its own classes (resources/errors.ts, store, the Docker
 * access layer, the controller runtime, the API, the CLI) so callers branch with `instanceof`, never on message
 * text; they all share this shape.
 */

/**
 * BerthError is an error with a fixed name, a message, an optional cause and optional fields that callers read
 * (a status code, an image, a list of field causes). A subclass declares its name as a string literal
 * (`override readonly name = "ConflictError"`) rather than relying on the class's own name, which bundlers
 * and minifiers may rename; its fields are ordinary readonly properties set in its constructor.
 */
export abstract class BerthError extends Error {
  abstract override readonly name: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
