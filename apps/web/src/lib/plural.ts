/**
 * "1 entry", "3 entries", "1,204 messages": a count with its noun, never "1 items" or "item(s)".
 * `many` defaults to `one` + "s"; irregular nouns pass it ("entry", "entries"; "person", "people").
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
}
