import {findNodeAtLocation, type Node, parseTree, ParseErrorCode, parse, type ParseError} from 'jsonc-parser'

/** 1-based line and column of a character offset in a text. */
export function lineAndColumn(text: string, offset: number): {line: number; column: number} {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return {line, column: offset - lineStart + 1}
}

/**
 * How deep arrays and objects nest, and where the nesting first passes `limit`.
 * A scan outside strings, so that parsers that recurse never see a text deeper than the limit.
 */
export function nestingDepth(text: string, limit: number): {depth: number; tooDeepAt?: number} {
  let depth = 0
  let maxDepth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c) i++
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x7b || char === 0x5b) {
      depth++
      if (depth > maxDepth) maxDepth = depth
      if (depth > limit) return {depth: maxDepth, tooDeepAt: i}
    } else if (char === 0x7d || char === 0x5d) depth--
  }
  return {depth: maxDepth}
}

const SYNTAX_MESSAGES: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]:
    'unexpected character; JSON allows objects, arrays, "strings", numbers, true, false and null',
  [ParseErrorCode.InvalidNumberFormat]: 'malformed number',
  [ParseErrorCode.PropertyNameExpected]: 'expected an attribute name in double quotes (is there a trailing comma?)',
  [ParseErrorCode.ValueExpected]: 'expected a value (is there a trailing comma or a missing value?)',
  [ParseErrorCode.ColonExpected]: 'expected ":" after the attribute name',
  [ParseErrorCode.CommaExpected]: 'expected "," between values',
  [ParseErrorCode.CloseBraceExpected]: 'expected "}" to close the object',
  [ParseErrorCode.CloseBracketExpected]: 'expected "]" to close the list',
  [ParseErrorCode.EndOfFileExpected]: 'unexpected text after the end of the JSON value',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed in JSON',
  [ParseErrorCode.UnexpectedEndOfComment]: 'comments are not allowed in JSON',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string: add the closing double quote',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'malformed number',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape: it needs four hexadecimal digits',
  [ParseErrorCode.InvalidEscapeCharacter]:
    'invalid escape in a string: use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX',
  [ParseErrorCode.InvalidCharacter]: 'control character inside a string: escape it, e.g. \\n or \\t',
}

/** Where and why a text that JSON.parse rejected is malformed (the text must already be within the nesting limit). */
export function describeSyntaxError(text: string, fallbackMessage: string): {offset: number; message: string} {
  const errors: ParseError[] = []
  parse(text, errors, {allowTrailingComma: false, disallowComments: true, allowEmptyContent: false})
  const first = errors[0]
  if (!first) return {offset: 0, message: `not valid JSON: ${fallbackMessage}`}
  return {offset: first.offset, message: `not valid JSON: ${SYNTAX_MESSAGES[first.error] ?? fallbackMessage}`}
}

/** Finds values in a well-formed text by JSON pointer; the tree is built once, on the first question. */
/** The JSON pointer (RFC 6901) to a place in a record: each segment with `~` written `~0` and `/` written `~1`. */
export const jsonPointer = (...segments: (string | number)[]): string =>
  segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')

export class SourceLocator {
  private tree?: Node

  constructor(private readonly text: string) {}

  /** Position of the value at `pointer` (e.g. /Features/1) or of its name, or else of its nearest existing ancestor. */
  locate(pointer: string, atName = false): {line: number; column: number} {
    this.tree ??= parseTree(this.text, [], {allowTrailingComma: false, disallowComments: true})
    if (!this.tree) return {line: 1, column: 1}
    const segments = pointer
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    // Step by step, as a segment of digits is an index in a list but a name in an object (an attribute named "12").
    let node = this.tree
    for (const segment of segments) {
      const child = node.type === 'array' ? node.children?.[Number(segment)] : findNodeAtLocation(node, [segment])
      if (!child) return lineAndColumn(this.text, node.offset)
      node = child
    }
    const named = atName && node.parent?.type === 'property'
    return lineAndColumn(this.text, named ? node.parent!.offset : node.offset)
  }
}
