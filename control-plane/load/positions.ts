import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/**
 * Maps a field path to the 1-based line/column of that field in the YAML source. Points at the
 * key of a map entry (where a reader looks), at the item of a sequence, and at the deepest
 * existing ancestor when the path does not exist (e.g. a missing required field).
 */
export function makeLocator(doc: Document, lineCounter: LineCounter) {
  return (path: readonly (string | number)[]): { line: number; column: number } => {
    let node: unknown = doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
