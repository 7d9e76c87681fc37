// The API's one error type: a status and a message a client can act on. Anything
// else thrown inside a handler is a bug of ours (500, logged).
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    /** extra response headers (Retry-After, Allow, WWW-Authenticate) */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** the JSON body of every error response */
export function errorBody(status: number, message: string): string {
  return JSON.stringify({ error: message, status });
}
