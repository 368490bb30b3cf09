/**
 * The rules of HTTP header names and values that every header the library writes follows (the
 * exporter's headers, the canary's query API headers).
 */

/** An HTTP header name: a `token` of RFC 9110. */
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Whether a character code is a control character other than tab (CR and LF among them), which an HTTP header value cannot hold. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}

/** The index of the first control character of a value (tab allowed), or -1. */
export function controlCharacterAt(value: string): number {
  for (let i = 0; i < value.length; i++) {
    if (isControl(value.charCodeAt(i))) return i;
  }
  return -1;
}
