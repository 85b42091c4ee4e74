/**
 * A one-line JSON text laid out two spaces a level, one attribute or element a line, as `JSON.stringify(…, null, 2)`
 * would, but from its own characters: every string and number is kept exactly as written (parsing would round a
 * number too long for JavaScript). Undefined when the text is not JSON, which is then best shown as it is.
 */
export function indentJson(text: string): string | undefined {
  try {
    JSON.parse(text)
  } catch {
    return undefined
  }
  let out = ''
  let depth = 0
  let inString = false
  const newline = () => `\n${'  '.repeat(depth)}`
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (inString) {
      out += char
      if (char === '\\') out += text[++index]
      else if (char === '"') inString = false
    } else if (char === '"') {
      out += char
      inString = true
    } else if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']'
      const next = text.slice(index + 1).trimStart()[0]
      // An empty object or list stays {} or [].
      if (next === close) {
        out += char + close
        index = text.indexOf(close, index + 1)
      } else {
        depth++
        out += char + newline()
      }
    } else if (char === '}' || char === ']') {
      depth--
      out += newline() + char
    } else if (char === ',') out += `,${newline()}`
    else if (char === ':') out += ': '
    else if (!/\s/.test(char)) out += char
  }
  return out
}
