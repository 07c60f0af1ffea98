/**
 * The canonical (internalized) copy of a string. V8 internalizes object keys, so routing a string
 * through one yields the copy every equal string shares. Property names and Str values are interned
 * when typed and constraint names and values when compiled: a Map lookup or `===` between them is then
 * a pointer comparison, where a sliced or concatenated copy would be compared character by character
 * on every evaluation. Equal values across thousands of offers also share one copy.
 */
export function internalize(text: string): string {
  return Object.keys({ [text]: 0 })[0];
}
