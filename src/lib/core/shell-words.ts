/** A word in single quotes, which a POSIX shell reads back unchanged whatever it holds. */
export function singleQuoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/** A word as a POSIX shell reads it back unchanged: left bare when it is plain, otherwise single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : singleQuoted(word)
}

/** Command-line words, each quoted as needed, so that a command a hint prints runs as printed when pasted. */
export function shellCommand(words: string[]): string {
  return words.map(shellWord).join(' ')
}
